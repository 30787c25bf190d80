using System.Text.Json;
using System.Text.RegularExpressions;
using Herald.Http;

namespace Herald.Hosting;

/// <summary>The framework's refusals of unreadable requests, as problem+json that names the field and the problem
/// in plain words: the framework's own messages name .NET types (<c>Herald.Announcements.AnnouncementInput</c>,
/// <c>int? page</c>), which mean nothing to a school's integrator and describe Herald's insides.</summary>
internal static partial class RequestProblems
{
    /// <summary>A body that is not JSON, or JSON of the wrong shape: the JSON path of the problem as the field.</summary>
    public static IResult Json(JsonException j)
    {
        var path = j.Path is null or "$" ? "" : j.Path.StartsWith("$.") ? j.Path[2..] : j.Path.TrimStart('$');
        var field = path.Length == 0 ? "body" : path;
        // System.Text.Json's messages name the .NET types involved; only which kind of problem it is is kept.
        var message = j.Message switch
        {
            var m when m.Contains("could not be mapped to any .NET member") => "is not a field of this request",
            var m when m.Contains("could not be converted") => "has the wrong type of value (or a value that is not one of the accepted ones)",
            _ => $"is not valid JSON (line {j.LineNumber + 1}, byte {j.BytePositionInLine + 1})",
        };
        return Problems.Invalid(field, message);
    }

    /// <summary>The framework's refusals of a request, in words that name the parameter but not its .NET type.</summary>
    public static IResult Refused(BadHttpRequestException b)
    {
        // Query and route values that do not convert: "Failed to bind parameter "int? type" from "abc"."
        if (BindFailed().Match(b.Message) is { Success: true } bind)
            return Problems.Invalid(bind.Groups["name"].Value, $"'{bind.Groups["value"].Value}' is not a valid value");
        if (Missing().Match(b.Message) is { Success: true } missing)
            return missing.Groups["from"].Value.Contains("body")
                ? Problems.Invalid("body", "a JSON body is required")
                : Problems.Invalid(missing.Groups["name"].Value, "is required");
        if (b.Message.StartsWith("Implicit body inferred", StringComparison.Ordinal))
            return Problems.Invalid("body", "a JSON body is required");
        if (b.StatusCode == 415 || b.Message.StartsWith("Expected a supported", StringComparison.Ordinal))
            return TypedResults.Problem(b.Message.Contains("form") ? "the body must be a form" : "the body must be JSON (Content-Type: application/json)",
                statusCode: 415, title: "Unsupported media type");
        // Kestrel's own refusals ("Unexpected end of request content.") are plain words; anything else is not repeated.
        var detail = TypeName().IsMatch(b.Message) ? "the request could not be read" : b.Message;
        return TypedResults.Problem(detail, statusCode: b.StatusCode);
    }

    [GeneratedRegex("""^Failed to bind parameter "(?:.* )?(?<name>[^ "]+)" from "(?<value>.*)"\.?$""", RegexOptions.Singleline)]
    private static partial Regex BindFailed();

    [GeneratedRegex("""^Required parameter "(?:.* )?(?<name>[^ "]+)" was not provided from (?<from>.*?)\.?$""", RegexOptions.Singleline)]
    private static partial Regex Missing();

    [GeneratedRegex("""\b(System|Microsoft|Herald)\.|parameter "|\.NET""")]
    private static partial Regex TypeName();
}

using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Herald.Core.Digests;
using Herald.Core.Deliveries;
using Herald.Core.Sending;
using Herald.Http;
using Herald.Sms;

namespace Herald.Contacts;

/// <summary>A contact as the API and the CSV import receive it.</summary>
/// <param name="ExternalId">The id in the school's own system (SIS/CRM); unique per school; imports are idempotent by it.</param>
/// <param name="Role"><c>student</c>, <c>guardian</c> or <c>staff</c>.</param>
/// <param name="Name">Display name.</param>
/// <param name="Email">Primary email; may be empty or malformed (announcements then record <c>email_missing</c>).</param>
/// <param name="Mobile">Mobile number, international or in the school's national format.</param>
/// <param name="Groups">Groups for audiences (e.g. <c>year-7</c>).</param>
/// <param name="OptOuts">Categories opted out of: <c>trips</c> (every channel) or <c>sms:trips</c> / <c>email:trips</c>.</param>
/// <param name="Digest">Non-essential emails as a digest: <c>no</c>, <c>yes</c> (the school's default schedule),
/// <c>daily@18:00</c>, <c>weekly:fri@17:00</c>. JSON also takes <c>true</c>/<c>false</c> (yes/no).</param>
public sealed record ContactInput(
    string? ExternalId, string? Role, string? Name, string? Email = null, string? Mobile = null,
    IReadOnlyList<string>? Groups = null, IReadOnlyList<string>? OptOuts = null,
    [property: JsonConverter(typeof(DigestJson))] string? Digest = null);

/// <summary>Reads the <c>digest</c> field as text: a schedule, yes/no, or a JSON boolean (the field's first form).</summary>
public sealed class DigestJson : JsonConverter<string?>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.True => "yes",
        JsonTokenType.False => "no",
        JsonTokenType.String => reader.GetString(),
        JsonTokenType.Null => null,
        _ => throw new JsonException("digest must be no, yes, a schedule such as daily@18:00 or weekly:fri@17:00, or true/false"),
    };

    public override void Write(Utf8JsonWriter writer, string? value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}


/// <summary>An opt-out of a category, on one channel or (Channel null) on all.</summary>
public sealed record OptOut(string Category, Channel? Channel)
{
    public override string ToString() => Channel is { } c ? $"{c.Name()}:{Category}" : Category;
}

/// <summary>A contact that passed validation.</summary>
public sealed record ValidContact(string ExternalId, string Role, string Name, string? Email, string? Mobile,
    IReadOnlyList<string> Groups, IReadOnlyList<OptOut> OptOuts, DigestChoice Digest);

/// <summary>Validation shared by the API and the CSV import, so both say the same thing about the same data.</summary>
public static partial class ContactRules
{
    public static readonly string[] Roles = ["student", "guardian", "staff"];

    /// <summary>Most groups, and most opt-outs, on one contact: a pupil is in a year, a class and some clubs.</summary>
    public const int MaxGroups = 100, MaxOptOuts = 100;

    [GeneratedRegex("^[a-z0-9][a-z0-9_.-]{0,39}$")]
    private static partial Regex Slug();

    /// <summary>Errors reject the contact; warnings (an unusable email or number) keep it and are reported,
    /// because the school's record is what it is and the send will say <c>email_missing</c>.</summary>
    public static ValidContact? Validate(ContactInput input, string region, List<FieldProblem> errors, List<FieldProblem> warnings)
    {
        var before = errors.Count;
        var externalId = input.ExternalId?.Trim();
        if (string.IsNullOrEmpty(externalId)) errors.Add(new("externalId", "is required"));
        else if (externalId.Length > 100) errors.Add(new("externalId", "is longer than 100 characters"));
        var role = input.Role?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(role)) errors.Add(new("role", "is required (student, guardian or staff)"));
        else if (!Roles.Contains(role)) errors.Add(new("role", $"'{input.Role}' is not one of student, guardian, staff"));
        var name = input.Name?.Trim();
        if (string.IsNullOrEmpty(name)) errors.Add(new("name", "is required"));
        else if (name.Length > 200) errors.Add(new("name", "is longer than 200 characters"));
        var email = Address(Channel.Email, input.Email, region, errors, warnings);
        var mobile = Address(Channel.Sms, input.Mobile, region, errors, warnings);

        var groups = new List<string>();
        if (input.Groups is { Count: > MaxGroups }) errors.Add(new("groups", $"has {input.Groups.Count} groups; the limit is {MaxGroups}"));
        else foreach (var g in input.Groups ?? [])
        {
            var slug = g?.Trim().ToLowerInvariant() ?? "";
            if (!Slug().IsMatch(slug)) errors.Add(new("groups", $"'{g}' is not a group name (1-40 of a-z, 0-9, '_', '.', '-')"));
            else if (!groups.Contains(slug)) groups.Add(slug);
        }
        var optOuts = new List<OptOut>();
        if (input.OptOuts is { Count: > MaxOptOuts }) errors.Add(new("optOuts", $"has {input.OptOuts.Count} opt-outs; the limit is {MaxOptOuts}"));
        else foreach (var o in input.OptOuts ?? [])
            if (ParseOptOut(o) is { } parsed) { if (!optOuts.Contains(parsed)) optOuts.Add(parsed); }
            else errors.Add(new("optOuts", $"'{o}' is not a category, or channel:category (e.g. 'trips' or 'sms:trips')"));

        var digest = DigestChoice.TryParse(input.Digest, out var digestProblem);
        if (digest is null) errors.Add(new("digest", digestProblem!));

        if (errors.Count > before) return null;
        return new ValidContact(externalId!, role!, name!, email, mobile, groups, optOuts, digest!);
    }

    /// <summary>An email address or mobile number as it is kept: trimmed, a number in E.164 through libphonenumber with the
    /// school's <paramref name="region"/>; null when empty. Too long is an error; unusable is a warning (the contact is
    /// kept, and the send records <c>email_missing</c> / <c>mobile_missing</c>). The API, the import and the contact
    /// page's "fix address" all check addresses here.</summary>
    public static string? Address(Channel channel, string? typed, string region, List<FieldProblem> errors, List<FieldProblem> warnings)
    {
        var value = string.IsNullOrWhiteSpace(typed) ? null : typed.Trim();
        if (channel == Channel.Email)
        {
            if (value is { Length: > 254 }) errors.Add(new("email", "is longer than 254 characters"));
            else if (value is not null && EmailAddress.Normalise(value, out var ep) is null)
                warnings.Add(new("email", $"'{value}' is not usable ({ep}); email announcements will record email_missing"));
            return value;
        }
        if (value is { Length: > 40 }) errors.Add(new("mobile", "is longer than 40 characters"));
        else if (value is not null && MobileNumbers.Normalise(value, region, out var mp) is null)
            warnings.Add(new("mobile", $"'{value}' is not usable ({mp}); SMS will record mobile_missing"));
        else if (value is not null) value = MobileNumbers.Normalise(value, region, out _);
        return value;
    }

    public static OptOut? ParseOptOut(string? text)
    {
        var t = text?.Trim().ToLowerInvariant() ?? "";
        var colon = t.IndexOf(':');
        Channel? channel = null;
        if (colon >= 0)
        {
            if (!Wire.TryParseChannel(t[..colon], out var c)) return null;
            channel = c;
            t = t[(colon + 1)..];
        }
        return IsCategory(t) ? new OptOut(t, channel) : null;
    }

    public static bool IsCategory(string? text) => text is not null && Slug().IsMatch(text);
}

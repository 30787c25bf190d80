using Herald.Schools;

namespace Herald.Http;

/// <summary>API keys: <c>Authorization: Bearer KEY</c> (or <c>X-Api-Key: KEY</c>). Every call is scoped to the key's school.</summary>
public static class ApiAuth
{
    private const string CallerKey = "herald.caller";

    /// <summary>Requires a valid key on every endpoint of the group.</summary>
    public static RouteGroupBuilder RequireApiKey(this RouteGroupBuilder group)
    {
        group.AddEndpointFilter(async (ctx, next) =>
        {
            var http = ctx.HttpContext;
            var header = http.Request.Headers.Authorization.ToString();
            var key = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : http.Request.Headers["X-Api-Key"].ToString();
            if (string.IsNullOrEmpty(key))
                return Problems.Unauthorized("missing API key: send 'Authorization: Bearer <key>' (create one with 'herald keys create')");
            var caller = http.RequestServices.GetRequiredService<SchoolStore>().Authenticate(key);
            if (caller is null) return Problems.Unauthorized("unknown or revoked API key");
            http.Items[CallerKey] = caller;
            return await next(ctx);
        });
        return group;
    }

    public static Caller Caller(this HttpContext http) => (Caller)http.Items[CallerKey]!;

    /// <summary>The school the call acts for: the key's school, or for an operator key the <c>school</c> query parameter.</summary>
    public static long? SchoolId(this HttpContext http)
    {
        var caller = http.Caller();
        if (caller.SchoolId is { } s) return s;
        return long.TryParse(http.Request.Query["school"], out var id) ? id : null;
    }
}

/// <summary>problem+json answers (RFC 9457) that name the field and the problem.</summary>
public static class Problems
{
    public static IResult Unauthorized(string detail) =>
        TypedResults.Problem(detail, statusCode: 401, title: "Unauthorized");

    public static IResult NotFound(string what) =>
        TypedResults.Problem($"{what} not found", statusCode: 404, title: "Not found");

    public static IResult Conflict(string detail) => TypedResults.Problem(detail, statusCode: 409, title: "Conflict");

    public static IResult Forbidden(string detail) => TypedResults.Problem(detail, statusCode: 403, title: "Forbidden");

    public static IResult Invalid(IEnumerable<FieldProblem> problems) =>
        TypedResults.ValidationProblem(problems.GroupBy(p => p.Field).ToDictionary(g => g.Key, g => g.Select(p => p.Message).ToArray()),
            detail: string.Join("; ", problems.Select(p => $"{p.Field}: {p.Message}")));

    public static IResult Invalid(string field, string message) => Invalid([new FieldProblem(field, message)]);

    public static IResult NoSchool() => Invalid("school", "an operator key must name the school: add ?school=ID");
}

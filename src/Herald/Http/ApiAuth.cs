using System.Security.Claims;
using System.Text.Encodings.Web;
using Herald.Schools;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace Herald.Http;

/// <summary>
/// API keys as an ASP.NET Core authentication scheme: <c>Authorization: Bearer KEY</c> (or <c>X-Api-Key: KEY</c>).
/// Authentication and authorization run as middleware, before routing hands the request to an endpoint, so a missing or
/// wrong key is a 401 before any byte of the body is read or bound, whatever the body is.
/// </summary>
public static class ApiAuth
{
    public const string Scheme = "ApiKey";

    /// <summary>Any valid key: a school's key, or an operator key naming the school with <c>?school=ID</c>.</summary>
    public const string SchoolPolicy = "school";

    /// <summary>Operator keys only: support actions across schools.</summary>
    public const string OperatorPolicy = "operator";

    /// <summary>Operations (details of health, metrics, the API reference): an operator key, or any request that arrived
    /// on a <c>Herald:ManagementUrls</c> listener.</summary>
    public const string ManagementPolicy = "management";

    private const string CallerKey = "herald.caller";

    /// <summary>The scheme, and the policies every route names. The fallback policy is the school policy, so a route
    /// that forgets to name one still needs a key; the few public routes say <c>AllowAnonymous</c> out loud.</summary>
    public static IServiceCollection AddApiAuthentication(this IServiceCollection services, IReadOnlyCollection<int> managementPorts)
    {
        services.AddAuthentication(Scheme).AddScheme<AuthenticationSchemeOptions, ApiKeyHandler>(Scheme, null);
        services.AddSingleton<IAuthorizationHandler, KeyRulesHandler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, ForbiddenReasons>();
        services.AddSingleton(new ManagementPorts(managementPorts));
        services.AddAuthorizationBuilder()
            .AddPolicy(SchoolPolicy, p => p.AddAuthenticationSchemes(Scheme).AddRequirements(new KeyRules(OperatorOnly: false)))
            .AddPolicy(OperatorPolicy, p => p.AddAuthenticationSchemes(Scheme).AddRequirements(new KeyRules(OperatorOnly: true)))
            .AddPolicy(ManagementPolicy, p => p.AddAuthenticationSchemes(Scheme).AddRequirements(new KeyRules(OperatorOnly: true, Management: true)))
            .SetFallbackPolicy(new AuthorizationPolicyBuilder(Scheme).AddRequirements(new KeyRules(OperatorOnly: false)).Build());
        return services;
    }

    /// <summary>The caller the authentication handler found; only reachable behind one of the policies.</summary>
    public static Caller Caller(this HttpContext http) =>
        http.Items[CallerKey] as Caller ?? throw new InvalidOperationException("no caller: the route has no authorization policy");

    internal static void SetCaller(this HttpContext http, Caller caller) => http.Items[CallerKey] = caller;

    internal static Caller? FindCaller(this HttpContext http) => http.Items[CallerKey] as Caller;

    /// <summary>The school the call acts for: the key's school, or for an operator key the <c>school</c> query parameter.</summary>
    public static long? SchoolId(this HttpContext http)
    {
        var caller = http.Caller();
        if (caller.SchoolId is { } s) return s;
        return long.TryParse(http.Request.Query["school"], out var id) ? id : null;
    }

    /// <summary>The key as sent: Bearer token, else the X-Api-Key header.</summary>
    internal static string? KeyOf(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return header[7..].Trim();
        var key = request.Headers["X-Api-Key"].ToString().Trim();
        return key.Length == 0 ? null : key;
    }
}

/// <summary>The local ports of the <c>Herald:ManagementUrls</c> listeners (none by default).</summary>
internal sealed record ManagementPorts(IReadOnlyCollection<int> Ports)
{
    /// <summary>The port is the socket's, not a header's: a proxy in front of the public listener cannot pose as it.</summary>
    public bool Contains(HttpContext http) => Ports.Count > 0 && Ports.Contains(http.Connection.LocalPort);
}

/// <summary>What a policy asks of the key: operator or not, and whether the management listener stands in for a key.
/// Every policy also refuses writes (anything but GET/HEAD) from a read-only key.</summary>
internal sealed record KeyRules(bool OperatorOnly, bool Management = false) : IAuthorizationRequirement;

internal sealed class KeyRulesHandler(ManagementPorts management) : AuthorizationHandler<KeyRules>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, KeyRules rules)
    {
        // Endpoint routing passes the request itself as the resource.
        var http = context.Resource as HttpContext;
        if (rules.Management && http is not null && management.Contains(http))
        {
            context.Succeed(rules);
            return Task.CompletedTask;
        }
        if (http?.FindCaller() is not { } caller) return Task.CompletedTask; // not authenticated: the challenge answers 401
        if (rules.OperatorOnly && !caller.IsOperator)
            context.Fail(new AuthorizationFailureReason(this, "this route needs an operator key"));
        else if (caller.ReadOnly && !HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method))
            context.Fail(new AuthorizationFailureReason(this, $"key {caller.KeyId} ('{caller.KeyName}') is read-only: it can only read"));
        else
            context.Succeed(rules);
        return Task.CompletedTask;
    }
}

/// <summary>Finds the caller behind the key, and answers 401/403 as problem+json. It only reads headers.</summary>
internal sealed class ApiKeyHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, SchoolStore schools)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (ApiAuth.KeyOf(Request) is not { } key) return Task.FromResult(AuthenticateResult.NoResult());
        if (schools.Authenticate(key) is not { } caller)
            return Task.FromResult(AuthenticateResult.Fail("unknown, revoked or expired API key"));
        Context.SetCaller(caller);
        var identity = new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, caller.KeyId.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new Claim(ClaimTypes.Name, caller.KeyName),
            new Claim(ClaimTypes.Role, caller.IsOperator ? "operator" : "school"),
        ], ApiAuth.Scheme);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), ApiAuth.Scheme)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        var detail = ApiAuth.KeyOf(Request) is null
            ? "missing API key: send 'Authorization: Bearer <key>' (create one with 'herald keys create')"
            : "unknown, revoked or expired API key";
        await Answer(401, "Unauthorized", detail);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        await Answer(403, "Forbidden", Context.Items[ForbiddenReasonKey] as string ?? "this key may not do this");
    }

    internal const string ForbiddenReasonKey = "herald.forbidden";

    private Task Answer(int status, string title, string detail)
    {
        Response.StatusCode = status;
        return TypedResults.Problem(detail, statusCode: status, title: title).ExecuteAsync(Context);
    }
}

/// <summary>Carries the policy's reason for a 403 to the handler that writes it (the default result handler drops it).</summary>
internal sealed class ForbiddenReasons : IAuthorizationMiddlewareResultHandler
{
    private readonly Microsoft.AspNetCore.Authorization.Policy.AuthorizationMiddlewareResultHandler _default = new();

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, Microsoft.AspNetCore.Authorization.Policy.PolicyAuthorizationResult result)
    {
        if (result.Forbidden && result.AuthorizationFailure?.FailureReasons.FirstOrDefault() is { } reason)
            context.Items[ApiKeyHandler.ForbiddenReasonKey] = reason.Message;
        return _default.HandleAsync(next, context, policy, result);
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

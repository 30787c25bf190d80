using System.Globalization;
using System.Security.Claims;
using Herald.Schools;
using Herald.Staff.Pages;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Localization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Localization;

namespace Herald.Staff;

/// <summary>
/// Signing in to Herald's pages: a cookie (HttpOnly, SameSite=Strict, Secure over HTTPS, 8 hours sliding), anti-forgery
/// on every form, lock-out after repeated failures, and sessions that end when the account is disabled or its password
/// reset. The cookie opens the pages only: the API still takes API keys alone.
/// </summary>
public static class StaffSignIn
{
    public const string Scheme = "staff";
    public const string Policy = "staff";

    /// <summary>The operator's support team only: a school's staff get 403 (with the route's <see cref="ForbiddenPage"/>).</summary>
    public const string SupportPolicy = "support";
    private const string StampClaim = "herald:stamp";

    public static IServiceCollection AddStaffSignIn(this IServiceCollection services)
    {
        services.AddRazorComponents();
        // Strings are looked up next to each page (Staff/Pages/SignInPage.es.resx); English is the text in the code.
        services.AddLocalization();
        // Spanish (and later languages) as letters, not &#xF3; entities: HTML encoding still escapes markup characters.
        services.Configure<Microsoft.Extensions.WebEncoders.WebEncoderOptions>(o =>
            o.TextEncoderSettings = new System.Text.Encodings.Web.TextEncoderSettings(System.Text.Unicode.UnicodeRanges.All));
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "herald.antiforgery";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        services.AddAuthentication().AddCookie(Scheme, o =>
        {
            o.Cookie.Name = "herald.staff";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            // Herald speaks plain HTTP on loopback behind a TLS proxy; over HTTPS the cookie is Secure.
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.ExpireTimeSpan = TimeSpan.FromHours(8);
            o.SlidingExpiration = true;
            o.LoginPath = "/sign-in";
            o.LogoutPath = "/sign-out";
            o.AccessDeniedPath = "/sign-in";
            o.Events.OnValidatePrincipal = ValidateAsync;
            // Signed in but not allowed (a school's staff on a support page): answer 403 with the page's own explanation
            // (ForbiddenPage metadata) rather than the cookie handler's redirect, before anything of the request is bound.
            o.Events.OnRedirectToAccessDenied = async ctx =>
            {
                var page = ctx.HttpContext.GetEndpoint()?.Metadata.GetMetadata<ForbiddenPage>();
                ctx.Response.StatusCode = StatusCodes.Status403Forbidden;
                if (page is not null)
                    await new RazorComponentResult(page.Component, new Dictionary<string, object?>()) { StatusCode = StatusCodes.Status403Forbidden }
                        .ExecuteAsync(ctx.HttpContext);
            };
        });
        services.AddAuthorizationBuilder()
            .AddPolicy(Policy, p => p.AddAuthenticationSchemes(Scheme).RequireAuthenticatedUser())
            .AddPolicy(SupportPolicy, p => p.AddAuthenticationSchemes(Scheme).RequireAuthenticatedUser().RequireRole("support"));
        return services;
    }

    /// <summary>Every request re-reads the account (one indexed row): a disabled account or a reset password ends the
    /// session at once, not when the cookie expires.</summary>
    private static async Task ValidateAsync(CookieValidatePrincipalContext ctx)
    {
        var users = ctx.HttpContext.RequestServices.GetRequiredService<StaffUsers>();
        var id = long.TryParse(ctx.Principal?.FindFirstValue(ClaimTypes.NameIdentifier), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0;
        var user = users.Get(id);
        if (user is null || user.DisabledAt is not null || user.SecurityStamp != ctx.Principal?.FindFirstValue(StampClaim))
        {
            ctx.RejectPrincipal();
            await ctx.HttpContext.SignOutAsync(Scheme);
        }
    }

    /// <summary>The languages the pages speak. The first is the default.</summary>
    public static readonly string[] Languages = ["en", "es"];

    /// <summary>The pages' language: the person's own choice (the <c>herald.language</c> cookie), else the browser's
    /// (Accept-Language), else English. (The school's default language comes with the schools' settings.)</summary>
    public static IApplicationBuilder UsePageLanguage(this IApplicationBuilder app) => app.UseRequestLocalization(o =>
    {
        o.SetDefaultCulture(Languages[0]).AddSupportedCultures(Languages).AddSupportedUICultures(Languages);
        o.RequestCultureProviders = [new CookieRequestCultureProvider { CookieName = "herald.language" }, new CustomRequestCultureProvider(AcceptLanguage)];
    });

    /// <summary>Accept-Language, each tag followed by its language alone (<c>es-ES</c>, then <c>es</c>): with invariant
    /// globalization a culture has no parent, so the middleware's own fallback from <c>es-ES</c> to <c>es</c> never happens.</summary>
    private static Task<ProviderCultureResult?> AcceptLanguage(HttpContext http)
    {
        var tags = http.Request.GetTypedHeaders().AcceptLanguage
            .Where(v => v.Quality is not 0).OrderByDescending(v => v.Quality ?? 1).Take(3)
            .SelectMany(v => v.Value.Value is { } tag ? new[] { tag, tag.Split('-')[0] } : [])
            .Where(t => t.Length > 0 && t != "*").Distinct(StringComparer.OrdinalIgnoreCase)
            .Select(t => new Microsoft.Extensions.Primitives.StringSegment(t)).ToList();
        return Task.FromResult(tags.Count == 0 ? null : new ProviderCultureResult(tags));
    }

    public static void MapStaffSignIn(this IEndpointRouteBuilder app)
    {
        var pages = app.MapGroup("").ExcludeFromDescription();

        pages.MapGet("/sign-in", (HttpContext http, IAntiforgery antiforgery, string? returnUrl) =>
            SignInForm(http, antiforgery, null, null, returnUrl)).AllowAnonymous();

        pages.MapPost("/sign-in", async (HttpContext http, IAntiforgery antiforgery, StaffUsers users, IStringLocalizer<SignInPage> t,
            [FromForm] string? email, [FromForm] string? password, [FromForm] string? returnUrl) =>
        {
            var result = users.SignIn(email, password);
            if (result is { Outcome: SignInOutcome.SignedIn, User: { } user })
            {
                await http.SignInAsync(Scheme, Principal(user));
                return (IResult)TypedResults.LocalRedirect(Local(returnUrl));
            }
            var error = result.Outcome == SignInOutcome.LockedOut
                ? t["Too many failed attempts: this account is locked until {0} UTC. Try again then, or ask support to reset your password.",
                    result.LockedUntil!.Value.ToString("HH:mm", CultureInfo.InvariantCulture)].Value
                : t["Wrong email address or password."].Value;
            return SignInForm(http, antiforgery, error, email, returnUrl, StatusCodes.Status401Unauthorized);
        }).AllowAnonymous();

        pages.MapPost("/sign-out", async (HttpContext http, [FromForm] string? unused) =>
        {
            await http.SignOutAsync(Scheme);
            return TypedResults.LocalRedirect("/sign-in");
        }).RequireAuthorization(Policy);

        pages.MapGet("/", (HttpContext http, IAntiforgery antiforgery, SchoolStore schools, IStringLocalizer<HomePage> t) =>
        {
            var role = http.User.FindFirstValue(ClaimTypes.Role) ?? "";
            var school = long.TryParse(http.User.FindFirstValue("herald:school"), out var s) ? schools.Get(s)?.Name : null;
            var tokens = antiforgery.GetAndStoreTokens(http);
            return new RazorComponentResult<HomePage>(new Dictionary<string, object?>
            {
                [nameof(HomePage.Name)] = http.User.FindFirstValue(ClaimTypes.Name),
                [nameof(HomePage.Role)] = role == "support" ? t["support"].Value : t["staff of {0}", school ?? ""].Value,
                [nameof(HomePage.Support)] = role == "support",
                [nameof(HomePage.Token)] = tokens.RequestToken,
                [nameof(HomePage.TokenField)] = tokens.FormFieldName,
            });
        }).RequireAuthorization(Policy);
    }

    private static IResult SignInForm(HttpContext http, IAntiforgery antiforgery, string? error, string? email, string? returnUrl,
        int status = StatusCodes.Status200OK)
    {
        var tokens = antiforgery.GetAndStoreTokens(http);
        return new RazorComponentResult<SignInPage>(new Dictionary<string, object?>
        {
            [nameof(SignInPage.Error)] = error,
            [nameof(SignInPage.Email)] = email,
            [nameof(SignInPage.ReturnUrl)] = Local(returnUrl),
            [nameof(SignInPage.Token)] = tokens.RequestToken,
            [nameof(SignInPage.TokenField)] = tokens.FormFieldName,
        }) { StatusCode = status };
    }

    /// <summary>The signed-in person as the logs name them: <c>Sam Support (sam@operator.example)</c>.</summary>
    public static string Who(ClaimsPrincipal user)
    {
        var name = user.FindFirstValue(ClaimTypes.Name) ?? "staff";
        return user.FindFirstValue(ClaimTypes.Email) is { } email ? $"{name} ({email})" : name;
    }

    /// <summary>Only a path on this site: a return URL is never a way to send someone elsewhere.</summary>
    private static string Local(string? url) =>
        url is { Length: > 0 } u && u[0] == '/' && !u.StartsWith("//", StringComparison.Ordinal) && !u.StartsWith("/\\", StringComparison.Ordinal) ? u : "/";

    private static ClaimsPrincipal Principal(StaffUser user) => new(new ClaimsIdentity(
    [
        new Claim(ClaimTypes.NameIdentifier, user.Id.ToString(CultureInfo.InvariantCulture)),
        new Claim(ClaimTypes.Name, user.Name),
        new Claim(ClaimTypes.Email, user.Email),
        new Claim(ClaimTypes.Role, user.Role == StaffRole.Support ? "support" : "staff"),
        new Claim("herald:school", user.SchoolId?.ToString(CultureInfo.InvariantCulture) ?? ""),
        new Claim(StampClaim, user.SecurityStamp),
    ], Scheme));
}

/// <summary>The page a signed-in person who may not use a route sees with its 403 (endpoint metadata).</summary>
public sealed record ForbiddenPage(Type Component);

using Herald.Staff.Pages;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Localization;

namespace Herald.Staff;

/// <summary>
/// <c>/set-password/{token}</c>: the page of a one-time link printed by <c>herald users add</c> (without
/// <c>--password-stdin</c>) or <c>herald users invite</c>, where a user chooses their password
/// (<see cref="StaffUsers.SetPassword"/>). A link that does not work is a 404 that does not say why. The token is in the
/// address, so these pages ask browsers not to send it on as a Referer, and not to keep them in a cache.
/// </summary>
public static class SetPassword
{
    public static void MapSetPassword(this IEndpointRouteBuilder app)
    {
        var pages = app.MapGroup("/set-password").ExcludeFromDescription().RequireAuthorization(StaffSignIn.AnyonePolicy);

        pages.MapGet("/{token}", (HttpContext http, IAntiforgery antiforgery, StaffUsers users, string token) =>
            Page(http, antiforgery, token, users.InvitedBy(token)?.Email, null, null));

        pages.MapPost("/{token}", (HttpContext http, IAntiforgery antiforgery, StaffUsers users, IStringLocalizer<SetPasswordPage> t, string token,
            [FromForm] string? password, [FromForm] string? confirm) =>
        {
            if (users.InvitedBy(token) is not { } user) return Page(http, antiforgery, token, null, null, null);
            var passwordError = StaffUsers.PasswordProblem(password) is null ? null
                : t["The password must have {0} to 200 characters.", StaffUsers.MinPasswordLength].Value;
            var confirmError = passwordError is null && password != confirm ? t["The two passwords are not the same: type it again in both fields."].Value : null;
            if (passwordError is not null || confirmError is not null)
                return Page(http, antiforgery, token, user.Email, passwordError, confirmError, StatusCodes.Status400BadRequest);
            // Used up by another press meanwhile: the same answer as any link that does not work.
            if (users.SetPassword(token, password) != SetPasswordOutcome.Set) return Page(http, antiforgery, token, null, null, null);
            NoReferrer(http);
            return new RazorComponentResult<SetPasswordPage>(new Dictionary<string, object?> { [nameof(SetPasswordPage.Done)] = true });
        });
    }

    private static RazorComponentResult<SetPasswordPage> Page(HttpContext http, IAntiforgery antiforgery, string token, string? email,
        string? passwordError, string? confirmError, int status = StatusCodes.Status200OK)
    {
        NoReferrer(http);
        var tokens = antiforgery.GetAndStoreTokens(http);
        return new RazorComponentResult<SetPasswordPage>(new Dictionary<string, object?>
        {
            [nameof(SetPasswordPage.Email)] = email,
            [nameof(SetPasswordPage.Action)] = "/set-password/" + Uri.EscapeDataString(token),
            [nameof(SetPasswordPage.PasswordError)] = passwordError,
            [nameof(SetPasswordPage.ConfirmError)] = confirmError,
            [nameof(SetPasswordPage.Token)] = tokens.RequestToken,
            [nameof(SetPasswordPage.TokenField)] = tokens.FormFieldName,
        }) { StatusCode = email is null ? StatusCodes.Status404NotFound : status };
    }

    private static void NoReferrer(HttpContext http)
    {
        http.Response.Headers["Referrer-Policy"] = "no-referrer";
        http.Response.Headers.CacheControl = "no-store";
    }
}

using System.Net;
using System.Text.RegularExpressions;
using Herald.Staff;
using Herald.Tests.Api;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Tests.Staff;

/// <summary>Staff and support sign in to Herald's pages with a password: cookies, anti-forgery, lock-out, sessions
/// that end when the account does. Over real HTTP, with a cookie jar like a browser's.</summary>
public class SignInTests
{
    private const string Password = "correct horse battery staple";

    private sealed record Visitor(HttpClient Http, CookieContainer Cookies);

    private static Visitor NewVisitor(HeraldHost h)
    {
        var cookies = new CookieContainer();
        var handler = new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false };
        return new Visitor(new HttpClient(handler) { BaseAddress = h.BaseAddress }, cookies);
    }

    private static StaffUser AddStaff(HeraldHost h, string? email = null) =>
        h.Service<StaffUsers>().Add(email ?? $"staff-{Guid.NewGuid():N}"[..14] + "@school.example", "Ann Office", StaffRole.Staff, h.School.Id, Password);

    /// <summary>The sign-in form's anti-forgery token, as a browser would send it back.</summary>
    private static async Task<string> TokenAsync(Visitor v, string path = "sign-in")
    {
        var html = await v.Http.GetStringAsync(path);
        var m = Regex.Match(html, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"");
        Assert.True(m.Success, $"no anti-forgery token in:\n{html}");
        return m.Groups[1].Value;
    }

    private static async Task<HttpResponseMessage> SignInAsync(Visitor v, string email, string password, string returnUrl = "/", bool token = true)
    {
        var form = new Dictionary<string, string> { ["email"] = email, ["password"] = password, ["returnUrl"] = returnUrl };
        if (token) form["__RequestVerificationToken"] = await TokenAsync(v);
        return await v.Http.PostAsync("sign-in", new FormUrlEncodedContent(form));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task The_right_password_opens_the_pages_with_a_strict_http_only_cookie(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var user = AddStaff(h);
        var v = NewVisitor(h);
        using var r = await SignInAsync(v, user.Email.ToUpperInvariant(), Password);
        Assert.Equal(HttpStatusCode.Found, r.StatusCode);
        Assert.Equal("/", r.Headers.Location?.ToString());
        var cookie = r.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("herald.staff=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        var home = await v.Http.GetStringAsync("");
        Assert.Contains("Signed in as <strong>Ann Office</strong>", home);
        Assert.Contains(h.School.Name, home);
        Assert.NotNull(h.Service<StaffUsers>().Get(user.Id)!.LastSignInAt);
    }

    [Fact]
    public async Task A_wrong_password_and_an_unknown_address_get_the_same_answer()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        var user = AddStaff(h);
        var v = NewVisitor(h);
        using var wrong = await SignInAsync(v, user.Email, "not the password at all");
        using var unknown = await SignInAsync(v, "nobody@school.example", Password);
        foreach (var r in new[] { wrong, unknown })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
            Assert.Contains("Wrong email address or password.", await r.Content.ReadAsStringAsync());
            Assert.DoesNotContain(r.Headers.TryGetValues("Set-Cookie", out var c) ? c : [], x => x.StartsWith("herald.staff=", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Five_wrong_passwords_lock_the_account_even_against_the_right_one_until_the_lock_ends()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await HeraldHost.StartAsync("sqlite", time, dispatcher: false);
        var user = AddStaff(h);
        var v = NewVisitor(h);
        for (var i = 0; i < StaffUsers.MaxFailures; i++) (await SignInAsync(v, user.Email, $"guess number {i}")).Dispose();
        using (var locked = await SignInAsync(v, user.Email, Password))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, locked.StatusCode);
            Assert.Contains("locked until", await locked.Content.ReadAsStringAsync());
        }
        time.Advance(StaffUsers.LockOutFor + TimeSpan.FromMinutes(1));
        using var after = await SignInAsync(v, user.Email, Password);
        Assert.Equal(HttpStatusCode.Found, after.StatusCode);
    }

    [Fact]
    public async Task A_form_without_its_anti_forgery_token_is_refused()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        var user = AddStaff(h);
        var v = NewVisitor(h);
        using var r = await SignInAsync(v, user.Email, Password, token: false);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Null(h.Service<StaffUsers>().Get(user.Id)!.LastSignInAt);
    }

    [Fact]
    public async Task The_pages_send_a_visitor_who_is_not_signed_in_to_the_sign_in_form()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        using var r = await NewVisitor(h).Http.GetAsync("");
        Assert.Equal(HttpStatusCode.Found, r.StatusCode);
        Assert.StartsWith("/sign-in", r.Headers.Location!.PathAndQuery);
    }

    [Fact]
    public async Task A_disabled_accounts_open_session_ends_at_once()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        var user = AddStaff(h);
        var v = NewVisitor(h);
        (await SignInAsync(v, user.Email, Password)).Dispose();
        Assert.Equal(HttpStatusCode.OK, (await v.Http.GetAsync("")).StatusCode);
        h.Service<StaffUsers>().Disable(user.Email);
        Assert.Equal(HttpStatusCode.Found, (await v.Http.GetAsync("")).StatusCode);
        using var again = await SignInAsync(v, user.Email, Password);
        Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
    }

    [Fact]
    public async Task A_password_reset_ends_the_sessions_signed_in_before_it()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        var user = AddStaff(h);
        var v = NewVisitor(h);
        (await SignInAsync(v, user.Email, Password)).Dispose();
        h.Service<StaffUsers>().ResetPassword(user.Email, "a brand new passphrase");
        Assert.Equal(HttpStatusCode.Found, (await v.Http.GetAsync("")).StatusCode);
    }

    [Fact]
    public async Task The_staff_cookie_does_not_open_the_api()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        var user = AddStaff(h);
        var v = NewVisitor(h);
        (await SignInAsync(v, user.Email, Password)).Dispose();
        Assert.Equal(HttpStatusCode.Unauthorized, (await v.Http.GetAsync("api/v1/contacts")).StatusCode);
    }

    [Theory]
    [InlineData("https://elsewhere.example/")]
    [InlineData("//elsewhere.example/")]
    [InlineData("/\\elsewhere.example/")]
    public async Task A_return_address_off_the_site_is_ignored(string returnUrl)
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        var user = AddStaff(h);
        using var r = await SignInAsync(NewVisitor(h), user.Email, Password, returnUrl);
        Assert.Equal("/", r.Headers.Location?.ToString());
    }

    [Fact]
    public async Task Signing_out_ends_the_session()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        var user = AddStaff(h);
        var v = NewVisitor(h);
        (await SignInAsync(v, user.Email, Password)).Dispose();
        var token = await TokenAsync(v, "");
        using var r = await v.Http.PostAsync("sign-out", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }));
        Assert.Equal(HttpStatusCode.Found, r.StatusCode);
        Assert.Equal(HttpStatusCode.Found, (await v.Http.GetAsync("")).StatusCode);
    }

    [Fact]
    public async Task The_pages_speak_spanish_to_a_spanish_browser_and_english_otherwise()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        var user = AddStaff(h);
        var v = NewVisitor(h);
        v.Http.DefaultRequestHeaders.AcceptLanguage.ParseAdd("es-ES,es;q=0.9");
        var form = await v.Http.GetStringAsync("sign-in");
        Assert.Contains("<html lang=\"es\">", form);
        Assert.Contains("Iniciar sesión en Herald", form);
        Assert.Contains("Contraseña", form);
        using (var wrong = await SignInAsync(v, user.Email, "not the password at all"))
            Assert.Contains("Correo electrónico o contraseña incorrectos.", await wrong.Content.ReadAsStringAsync());
        (await SignInAsync(v, user.Email, Password)).Dispose();
        Assert.Contains("Sesión iniciada como", await v.Http.GetStringAsync(""));

        var english = NewVisitor(h);
        english.Http.DefaultRequestHeaders.AcceptLanguage.ParseAdd("fr-FR");
        var page = await english.Http.GetStringAsync("sign-in");
        Assert.Contains("<html lang=\"en\">", page);
        Assert.Contains("Sign in to Herald", page);
    }

    [Fact]
    public async Task A_spanish_browser_gets_api_answers_in_the_invariant_form()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        h.Client.DefaultRequestHeaders.AcceptLanguage.ParseAdd("es-ES");
        var problem = await h.Client.GetAsync("api/v1/contacts?pageSize=100000").ExpectAsync(HttpStatusCode.BadRequest);
        Assert.Contains("pageSize", problem.Str("detail"));
        Assert.DoesNotContain("Contraseña", problem.ToJsonString());
    }
}

using System.Net;
using System.Text.RegularExpressions;
using Herald.Staff;
using Herald.Tests.Addresses;
using Herald.Tests.Api;
using Herald.Tests.Cli;
using Herald.Tests.Reports;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Tests.Staff;

/// <summary>One-time set-password links over real HTTP: printed by <c>herald users add</c> without a password, used
/// once to choose a password, refused after 72 hours, after use, when replaced, and when made up.</summary>
public class SetPasswordTests
{
    private static async Task<HttpResponseMessage> PostAsync(StaffVisitor v, string path, string? token, string password, string confirm)
    {
        var form = new Dictionary<string, string> { ["password"] = password, ["confirm"] = confirm };
        if (token is not null) form["__RequestVerificationToken"] = token;
        return await v.Http.PostAsync(path.TrimStart('/'), new FormUrlEncodedContent(form));
    }

    private static async Task<HttpStatusCode> SignInAsync(HeraldHost h, string email, string password)
    {
        var v = StaffVisitor.Anonymous(h);
        var token = SupportConsoleTests.Token(await v.PageAsync("sign-in"));
        using var r = await v.Http.PostAsync("sign-in", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = email, ["password"] = password, ["returnUrl"] = "/", ["__RequestVerificationToken"] = token,
        }));
        return r.StatusCode;
    }

    private const string Chosen = "a long passphrase of mine";

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_user_added_without_a_password_chooses_one_with_the_printed_link_once(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var add = await CliSteps.RunOk(h.Storage, "users", "add", "--email", "new@school.example", "--name", "New Office", "--role", "staff",
            "--school", h.School.Slug, "--base-url", "https://herald.example/");
        var link = Regex.Match(add.Output, @"^https://herald\.example(/set-password/[A-Za-z0-9_-]{43})$", RegexOptions.Multiline);
        Assert.True(link.Success, add.Output);
        var path = link.Groups[1].Value;
        Assert.Contains("give this link to new@school.example alone", add.Output);
        // No password signs in before one is chosen, not even an empty one.
        Assert.Equal(HttpStatusCode.Unauthorized, await SignInAsync(h, "new@school.example", ""));

        var v = StaffVisitor.Anonymous(h);
        using (var page = await v.Http.GetAsync(path.TrimStart('/')))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Equal("no-referrer", page.Headers.GetValues("Referrer-Policy").Single());
        }
        var html = await v.PageAsync(path.TrimStart('/'));
        Assert.Contains("For new@school.example.", ReportPagesTests.Text(html));
        var token = SupportConsoleTests.Token(html);

        using (var r = await PostAsync(v, path, token, "short", "short"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            var body = await r.Content.ReadAsStringAsync();
            Assert.Contains("The password must have 12 to 200 characters.", ReportPagesTests.Text(body));
            Assert.Contains("aria-describedby=\"password-error\"", body);
            Assert.DoesNotContain("value=\"short\"", body);
        }
        using (var r = await PostAsync(v, path, token, Chosen, Chosen + "!"))
            Assert.Contains("The two passwords are not the same", ReportPagesTests.Text(await r.Content.ReadAsStringAsync()));
        using (var r = await PostAsync(v, path, null, Chosen, Chosen))
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, await SignInAsync(h, "new@school.example", Chosen));

        using (var r = await PostAsync(v, path, token, Chosen, Chosen))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Contains("Your password is set", ReportPagesTests.Text(await r.Content.ReadAsStringAsync()));
        }
        Assert.Equal(HttpStatusCode.Found, await SignInAsync(h, "new@school.example", Chosen));

        // Used: the link opens nothing again, and cannot change the password a second time.
        Assert.Contains("This link does not work", ReportPagesTests.Text(await v.PageAsync(path.TrimStart('/'), HttpStatusCode.NotFound)));
        using (var r = await PostAsync(v, path, token, "another long passphrase", "another long passphrase"))
            Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        Assert.Equal(HttpStatusCode.Found, await SignInAsync(h, "new@school.example", Chosen));
    }

    [Fact]
    public async Task A_link_expires_after_72_hours_and_a_newer_one_replaces_it()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", new FakeTimeProvider(DateTimeOffset.UtcNow), dispatcher: false);
        var users = h.Service<StaffUsers>();
        users.Add("late@school.example", "Late Office", StaffRole.Staff, h.School.Id, null);
        var (_, first, expires) = users.Invite("late@school.example");
        Assert.Equal(h.Time!.GetUtcNow() + TimeSpan.FromHours(72), expires);
        var v = StaffVisitor.Anonymous(h);
        h.Time.Advance(TimeSpan.FromHours(71));
        var token = SupportConsoleTests.Token(await v.PageAsync($"set-password/{first}"));
        h.Time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        await v.PageAsync($"set-password/{first}", HttpStatusCode.NotFound);
        using (var r = await PostAsync(v, $"set-password/{first}", token, Chosen, Chosen))
            Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);

        var (_, second, _) = users.Invite("late@school.example");
        var (_, third, _) = users.Invite("late@school.example");
        await v.PageAsync($"set-password/{second}", HttpStatusCode.NotFound);
        await v.PageAsync($"set-password/{third}");
    }

    [Theory]
    [InlineData("set-password/made-up-token-made-up-token-made-up-token-xyz")]
    [InlineData("set-password/x")]
    public async Task A_made_up_link_is_a_404_page_that_says_the_link_does_not_work(string path)
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        var v = StaffVisitor.Anonymous(h, "es-ES");
        var text = ReportPagesTests.Text(await v.PageAsync(path, HttpStatusCode.NotFound));
        Assert.Contains("Este enlace no funciona", text);
        Assert.Contains("Pida un enlace nuevo", text);
    }
}

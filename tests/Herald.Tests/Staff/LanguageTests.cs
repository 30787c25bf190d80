using System.Net;
using Herald.Tests.Addresses;
using Herald.Tests.Api;
using Herald.Tests.Cli;
using Herald.Tests.Reports;

namespace Herald.Tests.Staff;

/// <summary>The pages' language over real HTTP: the person's own choice (the frame's switch, a cookie), else the school's
/// default (<c>herald schools update --language</c>), else the browser's.</summary>
public class LanguageTests
{
    private static async Task<HttpResponseMessage> ChooseAsync(StaffVisitor v, string? token, string language, string returnUrl)
    {
        var form = new Dictionary<string, string> { ["language"] = language, ["returnUrl"] = returnUrl };
        if (token is not null) form["__RequestVerificationToken"] = token;
        return await v.Http.PostAsync("language", new FormUrlEncodedContent(form));
    }

    private static string Text(string html) => ReportPagesTests.Text(html);

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task The_schools_default_comes_before_the_browsers_and_a_persons_choice_before_both(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var staff = await StaffVisitor.SignInAsync(h, h.School.Id, "en-GB");
        Assert.Contains("Signed in as", Text(await staff.PageAsync("")));

        var set = await CliSteps.RunOk(h.Storage, "schools", "update", h.School.Slug, "--language", "es");
        Assert.Contains("language es", set.Output);
        var home = await staff.PageAsync("");
        Assert.Contains("<html lang=\"es\"", home);
        Assert.Contains("Sesión iniciada como", Text(home));
        // Support belong to no school: their browser decides.
        var support = await StaffVisitor.SignInAsync(h, null, "en-GB");
        Assert.Contains("Signed in as", Text(await support.PageAsync("")));

        // The switch on the page: back to English for this person, whatever the school says.
        using (var r = await ChooseAsync(staff, SupportConsoleTests.Token(home), "en", "/contacts?q=ann"))
        {
            Assert.Equal(HttpStatusCode.Found, r.StatusCode);
            Assert.Equal("/contacts?q=ann", r.Headers.Location!.ToString());
        }
        var english = await staff.PageAsync("");
        Assert.Contains("<html lang=\"en\"", english);
        Assert.Matches("<button[^>]*value=\"en\"[^>]*aria-pressed=\"true\"", english);

        await CliSteps.RunOk(h.Storage, "schools", "update", h.School.Slug, "--language", "browser");
        var fresh = await StaffVisitor.SignInAsync(h, h.School.Id, "es-ES");
        Assert.Contains("Sesión iniciada como", Text(await fresh.PageAsync("")));
    }

    [Fact]
    public async Task The_switch_works_signed_out_and_is_refused_without_its_antiforgery_token_or_elsewhere()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        var v = StaffVisitor.Anonymous(h, "en-GB");
        var signIn = await v.PageAsync("sign-in");
        Assert.Contains("action=\"/language\"", signIn);
        using (var r = await ChooseAsync(v, null, "es", "/sign-in"))
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains("Sign in to Herald", Text(await v.PageAsync("sign-in")));

        // A return address on another site is not followed: the switch goes home instead.
        using (var r = await ChooseAsync(v, SupportConsoleTests.Token(signIn), "es", "//evil.example/x"))
            Assert.Equal("/", r.Headers.Location!.ToString());
        Assert.Contains("Iniciar sesión en Herald", Text(await v.PageAsync("sign-in")));
        using (var r = await ChooseAsync(v, SupportConsoleTests.Token(signIn), "fr", "/sign-in"))
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);

        var bad = await CliSteps.Run(h.Storage, "schools", "update", h.School.Slug, "--language", "fr");
        Assert.NotEqual(0, bad.Exit);
    }
}

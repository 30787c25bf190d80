using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Herald.Tests.Addresses;
using Herald.Tests.Api;
using Herald.Tests.Reports;

namespace Herald.Tests.Contacts;

/// <summary>"Fix address" on the contact page over real HTTP: staff change an email or mobile with a reason, checked by
/// the API's rules, logged in the full log with who and why; refusals keep what was typed and change nothing.</summary>
public class FixAddressTests
{
    private static async Task<HttpResponseMessage> FixAsync(StaffVisitor v, long contact, string? token, string channel, string value, string why)
    {
        var form = new Dictionary<string, string> { ["channel"] = channel, ["value"] = value, ["why"] = why };
        if (token is not null) form["__RequestVerificationToken"] = token;
        return await v.Http.PostAsync($"contacts/{contact}/address", new FormUrlEncodedContent(form));
    }

    private static async Task<JsonObject> ContactAsync(HttpClient api, long id) =>
        (await api.GetAsync($"api/v1/contacts/{id}").ExpectAsync(HttpStatusCode.OK)).AsObject();

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Staff_fix_an_email_and_a_mobile_with_a_reason_and_the_full_log_says_who_and_why(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var c = await h.Client.AddContactAsync("ann@old.example", mobile: "07400 123456", name: "Ann Parent");
        var v = await StaffVisitor.SignInAsync(h, h.School.Id);
        var page = await v.PageAsync($"contacts/{c}");
        Assert.Contains($"action=\"/contacts/{c}/address\"", page);

        using (var r = await FixAsync(v, c, SupportConsoleTests.Token(page), "email", "  Ann@New.example ", "parent phoned the office"))
        {
            Assert.Equal(HttpStatusCode.Found, r.StatusCode);
            Assert.Equal($"/contacts/{c}?fixed=email", r.Headers.Location!.ToString());
        }
        // A national number, read with the school's region (GB) as the API does: kept in E.164.
        using (var r = await FixAsync(v, c, SupportConsoleTests.Token(page), "sms", "07400 654321", "new phone"))
            Assert.Equal(HttpStatusCode.Found, r.StatusCode);

        var after = await ContactAsync(h.Client, c);
        Assert.Equal("Ann@New.example", after.Str("email"));
        Assert.Equal("+447400654321", after.Str("mobile"));
        var done = ReportPagesTests.Text(await v.PageAsync($"contacts/{c}?fixed=email"));
        Assert.Contains("The email address is changed; the full log says who changed it and why.", done);

        var staff = (await h.Client.LogAsync(c)).Entries().Where(e => e!.Str("source") == "staff").ToList();
        Assert.Equal(2, staff.Count);
        Assert.Matches(@"^email changed from ann@old\.example to Ann@New\.example by Ann Office \(u-\w+@school\.example\): parent phoned the office$", staff[0]!.Str("detail"));
        Assert.Matches(@"^mobile changed from \+447400123456 to \+447400654321 by Ann Office \(u-\w+@school\.example\): new phone$", staff[1]!.Str("detail"));
        Assert.Matches(@"^Ann Office \(u-\w+@school\.example\)$", staff[0]!.Str("actor"));
        // The page's log shows it too, with its source.
        var log = ReportPagesTests.Text(ContactPagesTests.LogTable(await v.PageAsync($"contacts/{c}")));
        Assert.Contains("parent phoned the office", log);
        Assert.Contains("staff", log);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_bad_address_an_empty_reason_or_no_antiforgery_token_is_refused_next_to_the_field_and_changes_nothing(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var c = await h.Client.AddContactAsync("ann@old.example", mobile: "07400 123456");
        var v = await StaffVisitor.SignInAsync(h, h.School.Id);
        var token = SupportConsoleTests.Token(await v.PageAsync($"contacts/{c}"));

        using (var r = await FixAsync(v, c, token, "email", "not an address", "typo"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            var html = await r.Content.ReadAsStringAsync();
            Assert.Contains("This is not a usable email address", ReportPagesTests.Text(html));
            Assert.Contains("aria-describedby=\"value-email-error\"", html);
            // What was typed is still there, in both fields.
            Assert.Matches("id=\"value-email\"[^>]*value=\"not an address\"", html);
            Assert.Matches("id=\"why-email\"[^>]*value=\"typo\"", html);
        }
        using (var r = await FixAsync(v, c, token, "sms", "12", "typo"))
            Assert.Contains("This is not a usable mobile number", ReportPagesTests.Text(await r.Content.ReadAsStringAsync()));
        using (var r = await FixAsync(v, c, token, "email", "ann@new.example", "  "))
        {
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            var html = await r.Content.ReadAsStringAsync();
            Assert.Contains("Say why the address is changed: the reason is required", ReportPagesTests.Text(html));
            Assert.Contains("aria-describedby=\"why-email-error\"", html);
            Assert.Matches("id=\"value-email\"[^>]*value=\"ann@new.example\"", html);
        }
        using (var r = await FixAsync(v, c, token, "email", "ann@old.example", "same"))
            Assert.Contains("This is already the contact's email address.", ReportPagesTests.Text(await r.Content.ReadAsStringAsync()));
        using (var r = await FixAsync(v, c, null, "email", "ann@new.example", "no token"))
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);

        var after = await ContactAsync(h.Client, c);
        Assert.Equal("ann@old.example", after.Str("email"));
        Assert.Equal("+447400123456", after.Str("mobile"));
        Assert.DoesNotContain((await h.Client.LogAsync(c)).Entries(), e => e!.Str("source") == "staff");
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Staff_of_another_school_get_404_and_support_may_fix_any_school(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var c = await h.Client.AddContactAsync("ann@old.example");
        var (other, _) = h.AddSchoolWithKey("other-school");
        var stranger = await StaffVisitor.SignInAsync(h, other.Id);
        var token = SupportConsoleTests.Token(await stranger.PageAsync(""));
        using (var r = await FixAsync(stranger, c, token, "email", "evil@example.org", "takeover"))
            Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        Assert.Equal("ann@old.example", (await ContactAsync(h.Client, c)).Str("email"));

        var support = await StaffVisitor.SignInAsync(h, null);
        var page = await support.PageAsync($"contacts/{c}?school={h.School.Id}");
        using (var r = await FixAsync(support, c, SupportConsoleTests.Token(page), "email", "ann@new.example", "checked with the parent"))
            Assert.Equal(HttpStatusCode.Found, r.StatusCode);
        Assert.Equal("ann@new.example", (await ContactAsync(h.Client, c)).Str("email"));
    }
}

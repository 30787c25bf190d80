using System.Net;
using System.Text.RegularExpressions;
using Herald.Addresses;
using Herald.Core.Deliveries;
using Herald.Tests.Api;
using Herald.Tests.Reports;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Tests.Addresses;

/// <summary>The support console over real HTTP with a cookie: an address found in every school, reset in one with a
/// reason (the other keeps its state, the contact's log names who and why), the refusals, and the queue monitor.</summary>
public class SupportConsoleTests
{
    private static string Text(string html) => ReportPagesTests.Text(html);

    internal static string Token(string html) =>
        Regex.Match(html, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;

    /// <summary>The address hard-bounced in this school and in another; returns the other school and both contacts.</summary>
    internal static async Task<(Herald.Schools.School Other, HttpClient OtherClient, long Here, long There)> BouncedInTwoSchoolsAsync(HeraldHost h, string email)
    {
        var (other, otherClient) = h.AddSchoolWithKey("other-" + Guid.NewGuid().ToString("N")[..8]);
        var here = await h.Client.AddContactAsync(email, name: "Ann Parent");
        var there = await otherClient.AddContactAsync(email, name: "Ann Parent Elsewhere");
        foreach (var (client, contact) in new[] { (h.Client, here), (otherClient, there) })
        {
            var d = (await client.ReportAsync(await client.SendToAsync([contact]))).LineOf(contact)["deliveryId"]!.GetValue<long>();
            await client.PostJson("api/v1/events", new { deliveryId = d, status = "hard_bounce", detail = "550 5.1.1 user unknown" }).ExpectAsync(HttpStatusCode.OK);
        }
        return (other, otherClient, here, there);
    }

    private static async Task<HttpResponseMessage> ResetAsync(StaffVisitor v, string? token, string address, long school, string why, bool all = false)
    {
        var form = new Dictionary<string, string> { ["address"] = address, ["channel"] = "email", ["school"] = school.ToString(), ["why"] = why };
        if (token is not null) form["__RequestVerificationToken"] = token;
        if (all) form["allSchools"] = "yes";
        return await v.Http.PostAsync("support/reset", new FormUrlEncodedContent(form));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Support_find_an_address_bounced_in_two_schools_and_reset_it_in_one_with_a_reason(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var (other, otherClient, here, there) = await BouncedInTwoSchoolsAsync(h, "ann@school.example");
        var v = await StaffVisitor.SignInAsync(h, null);

        var home = await v.PageAsync("");
        Assert.Contains("href=\"/support\"", home);
        Assert.Contains("href=\"/support/queue\"", home);

        var found = await v.PageAsync("support?q=Ann%40School.example&channel=email");
        var text = Text(found);
        Assert.Contains("ann@school.example in every school", text);
        Assert.Contains(h.School.Name, text);
        Assert.Contains(other.Name, text);
        Assert.True(Regex.IsMatch(text, $@"{Regex.Escape(h.School.Name)} ✗ failed — Reason: .*— since \d{{4}}-\d\d-\d\d \d\d:\d\d UTC"), text[text.IndexOf(" in every school")..]);
        Assert.Contains($"href=\"/contacts/{here}?school={h.School.Id}\"", found);
        Assert.Contains($"href=\"/contacts/{there}?school={other.Id}\"", found);
        Assert.Equal(2, Regex.Matches(found, "action=\"/support/reset\"").Count);

        using var r = await ResetAsync(v, Token(found), "ann@school.example", h.School.Id, "parent gave a corrected mailbox");
        var after = await r.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var afterText = Text(after);
        Assert.Contains("Reset in 1 school(s).", afterText);
        Assert.Matches($@"{Regex.Escape(h.School.Name)} ✓ usable", afterText);
        Assert.Matches($@"{Regex.Escape(other.Name)} ✗ failed", afterText);
        Assert.Matches(@"reset Ann Office \(u-\w+@school\.example\) parent gave a corrected mailbox", afterText);

        var states = h.Service<AddressReset>().States("ann@school.example", Channel.Email);
        Assert.Equal([other.Id], states.Select(s => s.SchoolId));
        var support = Assert.Single((await h.Client.LogAsync(here)).Entries(), e => e!.Str("source") == "support");
        Assert.Matches(@"address ann@school\.example reset by Ann Office \(u-\w+@school\.example\): parent gave a corrected mailbox", support!.Str("detail"));
        Assert.DoesNotContain((await otherClient.LogAsync(there)).Entries(), e => e!.Str("source") == "support");
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task An_empty_reason_or_a_missing_antiforgery_token_is_refused_and_changes_nothing(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var (other, _, here, _) = await BouncedInTwoSchoolsAsync(h, "ann@school.example");
        var v = await StaffVisitor.SignInAsync(h, null);
        var token = Token(await v.PageAsync("support?q=ann%40school.example"));

        using (var r = await ResetAsync(v, token, "ann@school.example", h.School.Id, "   ", all: true))
        {
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            var html = await r.Content.ReadAsStringAsync();
            Assert.Contains("Say why the address is reset: the reason is required", Text(html));
            Assert.Contains($"aria-describedby=\"why-error-{h.School.Id}\"", html);
            // What was chosen stays chosen.
            Assert.Matches($"id=\"all-{h.School.Id}\"[^>]*checked", html);
        }
        using (var r = await ResetAsync(v, null, "ann@school.example", h.School.Id, "fixed"))
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);

        var states = h.Service<AddressReset>().States("ann@school.example", Channel.Email);
        Assert.Equal(new[] { h.School.Id, other.Id }.Order(), states.Select(s => s.SchoolId).Order());
        Assert.DoesNotContain((await h.Client.LogAsync(here)).Entries(), e => e!.Str("source") == "support");
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task The_console_speaks_spanish_and_finds_a_number(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var c = await h.Client.AddContactAsync(null, mobile: "+447700900123", name: "Dan Mobile");
        var v = await StaffVisitor.SignInAsync(h, null, "es-ES");
        Assert.Contains("Consola de soporte: buscar y restablecer una dirección", Text(await v.PageAsync("")));
        var html = await v.PageAsync("support?q=%2B44+7700+900123&channel=sms");
        var text = Text(html);
        Assert.Contains("Consola de soporte", text);
        Assert.True(text.Contains("+447700900123 en todos los centros"), text[text.IndexOf("Buscar")..]);
        Assert.Contains("✓ utilizable", text);
        Assert.Contains($"href=\"/contacts/{c}?school={h.School.Id}\"", html);
        Assert.Contains("Monitor de la cola", Text(await v.PageAsync("support/queue")));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Staff_get_403_and_strangers_the_sign_in(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var staff = await StaffVisitor.SignInAsync(h, h.School.Id);
        Assert.DoesNotContain("href=\"/support\"", await staff.PageAsync(""));
        foreach (var path in new[] { "support", "support?q=ann%40school.example", "support/queue" })
            Assert.Contains("The support console is for the support team only.", Text(await staff.PageAsync(path, HttpStatusCode.Forbidden)));
        var token = Token(await staff.PageAsync(""));
        using (var r = await ResetAsync(staff, token, "ann@school.example", h.School.Id, "fixed"))
            Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);

        var stranger = StaffVisitor.Anonymous(h);
        using var s = await stranger.Http.GetAsync("support/queue");
        Assert.Equal(HttpStatusCode.Found, s.StatusCode);
        Assert.Contains("/sign-in", s.Headers.Location!.ToString());
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task The_queue_monitor_shows_counts_a_delivery_queued_too_long_and_a_rejections_exact_cause(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, new FakeTimeProvider(DateTimeOffset.UtcNow), dispatcher: false);
        var queued = await h.Client.AddContactAsync("queued@school.example");
        var rejected = await h.Client.AddContactAsync("blocked@school.example");
        await h.Client.SendAsync(await h.Client.AddAnnouncementAsync([queued], subject: "Trip money"));
        var a = await h.Client.AddAnnouncementAsync([rejected], subject: "Fair <b>day</b>");
        await h.Client.SendAsync(a);
        var d = (await h.Client.ReportAsync(a)).LineOf(rejected)["deliveryId"]!.GetValue<long>();
        await h.Client.PostJson("api/v1/events", new { deliveryId = d, status = "rejected", detail = "550 5.7.1 <script>blocked</script> by policy" })
            .ExpectAsync(HttpStatusCode.OK);
        var v = await StaffVisitor.SignInAsync(h, null);

        var fresh = Text(await v.PageAsync("support/queue"));
        Assert.Contains("None queued longer than 30 min.", fresh);
        h.Time!.Advance(TimeSpan.FromMinutes(31));

        var html = await v.PageAsync("support/queue");
        var text = Text(html);
        Assert.Matches(@"queued 1", text);
        Assert.Matches(@"rejected 1", text);
        Assert.Matches(@"Oldest queued delivery: since \d{4}-\d\d-\d\d \d\d:\d\d UTC \(31 min ago\)\.", text);
        Assert.Contains("1 queued longer than 30 min", text);
        Assert.Contains("queued@school.example", Regex.Match(html, "<table id=\"queued-too-long\">.*?</table>", RegexOptions.Singleline).Value);
        var rejections = Regex.Match(html, "<table id=\"rejected\">.*?</table>", RegexOptions.Singleline).Value;
        Assert.Contains("blocked@school.example", rejections);
        Assert.Contains("Fair &lt;b&gt;day&lt;/b&gt;", rejections);
        Assert.Contains("550 5.7.1 &lt;script&gt;blocked&lt;/script&gt; by policy", rejections);
        Assert.DoesNotContain("<script>", html);

        var (other, _) = h.AddSchoolWithKey("other-" + Guid.NewGuid().ToString("N")[..8]);
        Assert.Contains("No deliveries yet.", Text(await v.PageAsync($"support/queue?school={other.Id}")));
    }
}

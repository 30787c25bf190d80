using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Herald.Core.Deliveries;
using Herald.Core.Reports;
using Herald.Reports.Pages;
using Herald.Tests.Api;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Tests.Reports;

/// <summary>The announcements list and the statistics report over real HTTP, signed in with a cookie: what a school's
/// staff see after a send through the sandbox, filtering, search, CSV, and who may see what.</summary>
public class ReportPagesTests
{
    private static string Sim(string box) => $"{box}+{Guid.NewGuid():N}@simulator.herald.invalid";

    /// <summary>The page's text as a reader sees it: tags gone, entities decoded, spaces collapsed.</summary>
    internal static string Text(string html) =>
        Regex.Replace(WebUtility.HtmlDecode(Regex.Replace(html, "<[^>]+>", " ")), @"\s+", " ");

    internal static string RecipientsTable(string html)
    {
        var m = Regex.Match(html, "<table id=\"recipients-table\">(.*?)</table>", RegexOptions.Singleline);
        return m.Success ? Text(m.Groups[1].Value) : "";
    }

    /// <summary>Two delivered, one hard bounce, one without an email address; returns the announcement and the contacts.</summary>
    internal static async Task<(long Id, long Alice, long Bob, long Carol, long Dan)> SendAsync(HeraldHost h, string subject = "Sports day")
    {
        var alice = await h.Client.AddContactAsync(Sim("delivered"), name: "Alice Green");
        var bob = await h.Client.AddContactAsync(Sim("hard-bounce"), name: "Bob Bounce");
        var carol = await h.Client.AddContactAsync(Sim("success"), name: "=SUM(1+1) Carol");
        var dan = await h.Client.AddContactAsync(null, mobile: "+447700900123", name: "Dan Nomail");
        var id = await h.Client.AddAnnouncementAsync([alice, bob, carol, dan], subject: subject);
        await h.Client.SendAsync(id);
        await h.Client.WaitForReportAsync(id, r => r.Count("delivered") == 2 && r.Count("hard_bounce") == 1 && r.Count("email_missing") == 1,
            "2 delivered, 1 hard bounce, 1 email missing");
        return (id, alice, bob, carol, dan);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Staff_see_their_list_with_its_outcome_and_the_report_with_its_counts_and_recipients(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider);
        var (id, _, _, _, _) = await SendAsync(h);
        await h.Client.AddAnnouncementAsync([await h.Client.AddContactAsync(Sim("success"))], subject: "Draft letter");
        var v = await StaffVisitor.SignInAsync(h, h.School.Id);

        var home = Text(await v.PageAsync(""));
        Assert.Contains("Announcements and their reports", home);

        var list = await v.PageAsync("announcements");
        var text = Text(list);
        Assert.Contains("2 delivered, 1 hard bounces, 1 without email", text);
        Assert.Contains($"href=\"/announcements/{id}\"", list);
        Assert.True(list.IndexOf("Draft letter", StringComparison.Ordinal) < list.IndexOf("Sports day", StringComparison.Ordinal), "newest first");
        Assert.Matches(@"Draft letter draft no deliveries", text);
        Assert.Matches(@"Sports day sent \d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d 2 delivered", text);

        var report = await v.PageAsync($"announcements/{id}");
        var all = Text(report);
        Assert.Contains("<svg role=\"img\"", report);
        Assert.Contains("<title id=\"chart-email-title\">Email: 2 delivered, 1 hard bounces, 1 without email</title>", report);
        Assert.Matches(@"hard bounce 1 The address does not work\. Ask for an alternative address\.", all);
        Assert.Matches(@"delivered 2 The receiving server took it\.", all);
        var table = RecipientsTable(report);
        Assert.Contains("4 recipients (page 1 of 1)", table);
        Assert.Matches(@"Bob Bounce Email hard-bounce\+\w+@simulator\.herald\.invalid hard bounce \d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d userunknown The address does not work\.", table);
        Assert.Contains("Alice Green", table);
        Assert.Contains("Dan Nomail", table);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task The_report_filters_by_status_and_channel_and_searches_names_and_addresses_and_the_list_searches_subjects(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider);
        var (id, _, _, _, _) = await SendAsync(h);
        await h.Client.AddAnnouncementAsync([await h.Client.AddContactAsync(Sim("success"))], subject: "Trip to 100% of the museum_");
        var v = await StaffVisitor.SignInAsync(h, h.School.Id);

        var bounced = RecipientsTable(await v.PageAsync($"announcements/{id}?status=hard_bounce&channel=email"));
        Assert.Contains("1 recipients", bounced);
        Assert.Contains("Bob Bounce", bounced);
        Assert.DoesNotContain("Alice", bounced);

        var sms = await v.PageAsync($"announcements/{id}?channel=sms");
        Assert.Contains("No recipient matches.", Text(sms));

        var byName = RecipientsTable(await v.PageAsync($"announcements/{id}?q=ALICE"));
        Assert.Contains("Alice Green", byName);
        Assert.DoesNotContain("Bob", byName);
        var byAddress = RecipientsTable(await v.PageAsync($"announcements/{id}?q=hard-bounce%2B"));
        Assert.Contains("Bob Bounce", byAddress);
        Assert.DoesNotContain("Alice", byAddress);
        // LIKE's wildcards are the text they are.
        Assert.Contains("No recipient matches.", Text(await v.PageAsync($"announcements/{id}?q=%25")));

        var sports = Text(await v.PageAsync("announcements?q=sports"));
        Assert.Contains("Sports day", sports);
        Assert.DoesNotContain("Trip to", sports);
        var literal = Text(await v.PageAsync("announcements?q=100%25"));
        Assert.Contains("Trip to 100% of the museum_", literal);
        Assert.DoesNotContain("Sports day", literal);
        Assert.Contains("No announcement matches this search.", Text(await v.PageAsync("announcements?q=nothing+like+it")));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task The_csv_export_has_the_filtered_recipients_and_escapes_formulas(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider);
        var (id, _, _, _, _) = await SendAsync(h);
        var v = await StaffVisitor.SignInAsync(h, h.School.Id);

        using var r = await v.Http.GetAsync($"announcements/{id}/report.csv");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("text/csv", r.Content.Headers.ContentType?.MediaType);
        Assert.Contains("attachment", r.Content.Headers.ContentDisposition?.ToString());
        var lines = (await r.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("name,channel,address,status,since_utc,provider_answer,explanation,action,queued_too_long,attempt,fallback", lines[0]);
        Assert.Equal(5, lines.Length);
        Assert.Contains(lines, l => l.StartsWith("Bob Bounce,email,hard-bounce+", StringComparison.Ordinal)
            && l.Contains(",hard_bounce,", StringComparison.Ordinal) && l.Contains(",userunknown,The address does not work.,Ask for an alternative address.,no,1,no", StringComparison.Ordinal));
        // A name that a spreadsheet would run as a formula is text with a leading apostrophe.
        Assert.Contains(lines, l => l.StartsWith("\"'=SUM(1+1) Carol\",email,", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.StartsWith("=", StringComparison.Ordinal));

        var filtered = (await v.Http.GetStringAsync($"announcements/{id}/report.csv?status=email_missing")).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, filtered.Length);
        Assert.StartsWith("Dan Nomail,email,,email_missing,", filtered[1]);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_delivery_queued_for_more_than_30_minutes_is_flagged_with_contact_support(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, new FakeTimeProvider(DateTimeOffset.UtcNow), dispatcher: false);
        var c = await h.Client.AddContactAsync("ann@school.example", name: "Ann Waiting");
        var id = await h.Client.SendToAsync([c]);
        var v = await StaffVisitor.SignInAsync(h, h.School.Id);
        Assert.DoesNotContain("Queued for more than 30 minutes", RecipientsTable(await v.PageAsync($"announcements/{id}")));
        h.Time!.Advance(TimeSpan.FromMinutes(31));

        Assert.Contains("1 queued, 1 queued > 30 min", Text(await v.PageAsync("announcements")));
        var report = await v.PageAsync($"announcements/{id}");
        Assert.Contains("1 deliveries have been queued for more than 30 minutes: contact support.", Text(report));
        Assert.Matches(@"Ann Waiting Email ann@school\.example queued ⚠ Queued for more than 30 minutes: contact support\. .* Still waiting for the provider after 30 minutes\. Contact support: the queue may be stuck\.",
            RecipientsTable(report));
    }

    [Fact]
    public async Task Staff_of_another_school_get_a_404_and_do_not_see_it_in_their_list()
    {
        await using var h = await HeraldHost.StartAsync("sqlite");
        var (id, _, _, _, _) = await SendAsync(h, "Hill school trip");
        var (other, _) = h.AddSchoolWithKey("other-" + Guid.NewGuid().ToString("N")[..6]);
        var v = await StaffVisitor.SignInAsync(h, other.Id);

        Assert.DoesNotContain("Hill school trip", await v.PageAsync("announcements"));
        // Their school in the address changes nothing for staff: they see their own school only.
        Assert.DoesNotContain("Hill school trip", await v.PageAsync($"announcements?school={h.School.Id}"));
        var notFound = Text(await v.PageAsync($"announcements/{id}", HttpStatusCode.NotFound));
        Assert.Contains("Not found", notFound);
        Assert.DoesNotContain("Hill school trip", notFound);
        await v.PageAsync($"announcements/{id}/report.csv", HttpStatusCode.NotFound);
        await v.PageAsync("announcements/999999999", HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Support_pick_a_school_and_see_its_announcements_and_reports()
    {
        await using var h = await HeraldHost.StartAsync("sqlite");
        var (id, _, _, _, _) = await SendAsync(h);
        var v = await StaffVisitor.SignInAsync(h, null);

        var pick = await v.PageAsync("announcements");
        Assert.Contains("Choose a school", Text(pick));
        Assert.Contains($"href=\"/announcements?school={h.School.Id}\"", pick);
        var list = await v.PageAsync($"announcements?school={h.School.Id}");
        Assert.Contains("2 delivered, 1 hard bounces, 1 without email", Text(list));
        Assert.Contains($"href=\"/announcements/{id}?school={h.School.Id}\"", list);
        Assert.Contains("Bob Bounce", RecipientsTable(await v.PageAsync($"announcements/{id}?school={h.School.Id}")));
        Assert.Contains("Bob Bounce", await v.Http.GetStringAsync($"announcements/{id}/report.csv"));
        await v.PageAsync("announcements?school=999999999", HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("announcements")]
    [InlineData("announcements/1")]
    [InlineData("announcements/1/report.csv")]
    public async Task A_visitor_who_is_not_signed_in_is_sent_to_the_sign_in_form(string path)
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        using var r = await StaffVisitor.Anonymous(h).Http.GetAsync(path);
        Assert.Equal(HttpStatusCode.Found, r.StatusCode);
        Assert.StartsWith("/sign-in", r.Headers.Location!.PathAndQuery);
    }

    [Fact]
    public async Task The_pages_speak_spanish_explanations_included()
    {
        await using var h = await HeraldHost.StartAsync("sqlite");
        var (id, _, _, _, _) = await SendAsync(h);
        var v = await StaffVisitor.SignInAsync(h, h.School.Id, language: "es");
        Assert.Contains("2 entregados, 1 rebotes permanentes, 1 sin correo", Text(await v.PageAsync("announcements")));
        var report = Text(await v.PageAsync($"announcements/{id}"));
        Assert.Contains("La dirección no funciona. Pida otra dirección.", report);
        Assert.Contains("Destinatarios", report);
    }

    [Fact]
    public async Task Every_staff_explanation_and_action_has_its_spanish_text()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        var t = h.Service<IStringLocalizer<ReportText>>();
        var previous = CultureInfo.CurrentUICulture;
        CultureInfo.CurrentUICulture = new CultureInfo("es");
        try
        {
            var texts = Enum.GetValues<DeliveryStatus>().Select(StaffGuidance.For).Append(StaffGuidance.StuckInQueue)
                .SelectMany(g => new[] { g.Explanation, g.Action }).OfType<string>();
            foreach (var s in texts)
                Assert.False(t[s].ResourceNotFound, $"no Spanish for '{s}'");
            foreach (var s in ReportWords.Order.Where(s => s != "spam"))
                Assert.NotEqual(s.Replace('_', ' '), ReportWords.Label(t, s));
        }
        finally
        {
            CultureInfo.CurrentUICulture = previous;
        }
    }
}

using System.Net;
using System.Text.RegularExpressions;
using Herald.Tests.Api;
using Herald.Tests.Reports;

namespace Herald.Tests.Contacts;

/// <summary>The contacts list and a contact's page over real HTTP, signed in with a cookie: the red cross on an address a
/// posted hard bounce marked failed, the full log newest first with the provider's text encoded, search, links, and who
/// may see what.</summary>
public class ContactPagesTests
{
    internal const string Hostile = "<script>alert(1)</script> 550 5.1.1 <alice@example.org>: Recipient address rejected: User unknown";

    internal static string LogTable(string html)
    {
        var m = Regex.Match(html, "<table id=\"log-table\">(.*?)</table>", RegexOptions.Singleline);
        return m.Success ? m.Groups[1].Value : "";
    }

    /// <summary>The report's send, then a hard bounce posted for Alice (delivered) whose detail carries markup.</summary>
    internal static async Task<(long Announcement, long Alice, long Bob, long Dan)> BouncedAsync(HeraldHost h)
    {
        var (id, alice, bob, _, dan) = await ReportPagesTests.SendAsync(h);
        var d = (await h.Client.ReportAsync(id)).LineOf(alice)["deliveryId"]!.GetValue<long>();
        await h.Client.PostJson("api/v1/events", new { deliveryId = d, status = "hard_bounce", detail = Hostile }).ExpectAsync(HttpStatusCode.OK);
        return (id, alice, bob, dan);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task The_contact_page_shows_the_red_cross_and_the_full_log_newest_first_with_the_provider_text_encoded(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider);
        var (id, alice, _, _) = await BouncedAsync(h);
        var v = await StaffVisitor.SignInAsync(h, h.School.Id);

        var html = await v.PageAsync($"contacts/{alice}");
        var text = ReportPagesTests.Text(html);
        Assert.Contains("Alice Green", text);
        // The red cross: a ✗ and words, why and since when.
        Assert.Matches(@"✗ Failed in this school: why: .+; since \d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d:\d\d \(Europe/London\)", text);
        Assert.Contains("class=\"red-cross\"", html);
        // The provider's text is text: encoded, inside <samp>, never a live element.
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("<samp>&lt;script&gt;alert(1)&lt;/script&gt; 550 5.1.1 &lt;alice@example.org&gt;", html);
        Assert.Contains(Hostile, text);
        // Newest first: the posted bounce comes before the delivery that preceded it.
        var log = ReportPagesTests.Text(LogTable(html));
        Assert.Matches(@"Every attempt and event, newest first \(\d+ entries, page 1 of 1\)", log);
        var bounce = log.IndexOf("hard bounce", StringComparison.Ordinal);
        var delivered = log.IndexOf("delivered", StringComparison.Ordinal);
        Assert.True(bounce >= 0 && delivered > bounce, log);
        Assert.Contains($"href=\"/announcements/{id}\"", LogTable(html));

        // The report links each recipient to their page, and home links to the contacts.
        Assert.Contains($"href=\"/contacts/{alice}\"", await v.PageAsync($"announcements/{id}"));
        Assert.Contains("href=\"/contacts\"", await v.PageAsync(""));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task The_list_searches_names_emails_and_numbers(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider);
        var (_, alice, bob, dan) = await BouncedAsync(h);
        var v = await StaffVisitor.SignInAsync(h, h.School.Id);

        var all = await v.PageAsync("contacts");
        Assert.Contains("4 contacts (page 1 of 1)", ReportPagesTests.Text(all));
        Assert.Contains($"href=\"/contacts/{alice}\"", all);

        var byName = await v.PageAsync("contacts?q=ALICE");
        Assert.Contains("Alice Green", byName);
        Assert.DoesNotContain("Bob Bounce", byName);
        var byEmail = await v.PageAsync("contacts?q=hard-bounce%2B");
        Assert.Contains($"href=\"/contacts/{bob}\"", byEmail);
        Assert.DoesNotContain("Alice Green", byEmail);
        var byNumber = await v.PageAsync("contacts?q=7700900");
        Assert.Contains($"href=\"/contacts/{dan}\"", byNumber);
        Assert.DoesNotContain("Alice Green", byNumber);
        Assert.Contains("No contact matches this search.", ReportPagesTests.Text(await v.PageAsync("contacts?q=%25")));
    }

    [Fact]
    public async Task Staff_of_another_school_get_a_404_and_do_not_see_the_contact_in_their_list()
    {
        await using var h = await HeraldHost.StartAsync("sqlite");
        var (_, alice, _, _) = await BouncedAsync(h);
        var (other, _) = h.AddSchoolWithKey("other-" + Guid.NewGuid().ToString("N")[..6]);
        var v = await StaffVisitor.SignInAsync(h, other.Id);

        var notFound = ReportPagesTests.Text(await v.PageAsync($"contacts/{alice}", HttpStatusCode.NotFound));
        Assert.Contains("Not found", notFound);
        Assert.DoesNotContain("Alice", notFound);
        Assert.DoesNotContain("Alice Green", await v.PageAsync("contacts"));
        Assert.DoesNotContain("Alice Green", await v.PageAsync($"contacts?school={h.School.Id}&q=alice"));
        await v.PageAsync("contacts/999999999", HttpStatusCode.NotFound);

        // Support see any school's contact.
        var support = await StaffVisitor.SignInAsync(h, null);
        Assert.Contains("Alice Green", await support.PageAsync($"contacts/{alice}"));
        Assert.Contains("Alice Green", await support.PageAsync($"contacts?school={h.School.Id}"));
    }

    [Fact]
    public async Task The_contact_page_speaks_spanish()
    {
        await using var h = await HeraldHost.StartAsync("sqlite");
        var (_, alice, _, _) = await BouncedAsync(h);
        var v = await StaffVisitor.SignInAsync(h, h.School.Id, "es-ES");
        var text = ReportPagesTests.Text(await v.PageAsync($"contacts/{alice}"));
        Assert.Contains("Historial completo", text);
        Assert.Contains("✗ Fallido en este colegio", text);
        Assert.Contains("rebote permanente", text);
        Assert.Contains("Contactos", ReportPagesTests.Text(await v.PageAsync("contacts")));
    }

    [Fact]
    public async Task Log_pages_newest_first_cover_the_whole_log_once_in_reverse()
    {
        await using var h = await HeraldHost.StartAsync("sqlite");
        var (_, alice, _, _) = await BouncedAsync(h);
        var reports = h.Service<Herald.Reports.ReportQueries>();
        var all = reports.Log(h.School.Id, alice, 1, 1000)!.Items.Select(e => e.Id).Reverse().ToList();
        Assert.True(all.Count >= 3, $"{all.Count} entries");
        foreach (var size in new[] { 1, 2, all.Count - 1, all.Count, all.Count + 1 })
        {
            var pages = (all.Count + size - 1) / size;
            var seen = Enumerable.Range(1, pages).SelectMany(p => Herald.Contacts.Pages.ContactPages.NewestFirst(reports, h.School.Id, alice, p, size).Items)
                .Select(e => e.Id).ToList();
            Assert.Equal(all, seen);
            Assert.Equal(Math.Min(size, all.Count), Herald.Contacts.Pages.ContactPages.NewestFirst(reports, h.School.Id, alice, 1, size).Items.Count);
        }
    }
}

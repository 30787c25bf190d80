using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Herald.Bounces;
using Herald.Email;
using Herald.Tests.Api;
using Herald.Tests.Email;
using Herald.Tests.Servers;
using Herald.Tests.Tracking;
using Microsoft.Extensions.Time.Testing;
using MimeKit;

namespace Herald.Tests.Digests;

/// <summary>
/// After a digest goes out, what comes back about it reaches the announcements it carried: a bounce of the digest's
/// message fails each of them; an open or a click counts for the announcement it belongs to; the unsubscribe link of a
/// digest leaves every category it carried; the preference page sets how often.
/// </summary>
public class DigestFeedbackTests
{
    private static readonly DateTimeOffset Tuesday = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset FiveOClock = new(2026, 12, 1, 17, 0, 0, TimeSpan.Zero);

    /// <summary>Herald with a public URL (tracking and the unsubscribe page) and a bounce domain (VERP, unsubscribe tokens).</summary>
    private static Task<HeraldHost> StartAsync(string provider, FakeTimeProvider time)
    {
        var settings = ForgedFeedbackTests.BounceSettings();
        settings["Herald:Email:Tracking:BaseUrl"] = TrackingSteps.PublicUrl;
        settings["Herald:Email:Tracking:Secret"] = "tracking-secret-for-tests-0123456789";
        settings["Herald:Email:UnsubscribeBaseUrl"] = TrackingSteps.UnsubscribeBase;
        return HeraldHost.StartAsync(provider, time, settings: settings);
    }

    private sealed record Digest(long Contact, string Address, long[] Announcements, long Lead, MimeMessage Message);

    /// <summary>A contact on the school's digest, an announcement per category, the clock moved to 17:00, and the digest
    /// as the sandbox wrote it (named by its lead delivery).</summary>
    private static async Task<Digest> DigestAsync(HeraldHost h, FakeTimeProvider time, string[] categories, string? html = null)
    {
        var address = $"fam-{Guid.NewGuid():N}"[..16] + "@school.example";
        var contact = (await h.Client.PostJson("api/v1/contacts", new
        {
            externalId = "ext-" + Guid.NewGuid().ToString("N")[..12], role = "guardian", name = "Fam", email = address, digest = "yes",
        }).ExpectAsync(HttpStatusCode.Created))["contact"]!["id"]!.GetValue<long>();
        var announcements = new List<long>();
        foreach (var category in categories)
        {
            var id = (await h.Client.PostJson("api/v1/announcements", new
            {
                subject = $"News about {category}", text = $"Text about {category}.", html = html?.Replace("{category}", category),
                channels = new[] { "email" }, category, audience = new { contactIds = new[] { contact } },
            }).ExpectAsync(HttpStatusCode.Created))["id"]!.GetValue<long>();
            await h.Client.SendAsync(id);
            announcements.Add(id);
        }
        time.SetUtcNow(FiveOClock);
        foreach (var a in announcements) await h.Client.WaitForStatusAsync(a, contact, "sent");
        var file = Directory.GetFiles(h.SandboxEmailFolder, "*.eml").Select(f => (f, m: MimeMessage.Load(f)))
            .Single(x => x.m.To.Mailboxes.Any(b => b.Address == address));
        var lead = long.Parse(Path.GetFileName(file.f).Split('-')[0], System.Globalization.CultureInfo.InvariantCulture);
        return new(contact, address, announcements.ToArray(), lead, file.m);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_bounce_of_the_digest_fails_every_announcement_it_carried_and_the_address(string provider)
    {
        var time = new FakeTimeProvider(Tuesday);
        await using var h = await StartAsync(provider, time);
        var d = await DigestAsync(h, time, ["trips", "clubs", "sports"]);
        var verp = new VerpAddress("bounces", MailServers.Domain, ForgedFeedbackTests.Secret).For(d.Lead, 1);

        var dsn = Herald.Tests.Email.Reports.Dsn(verp, d.Address, d.Message, "failed", "5.1.1", "550 5.1.1 <" + d.Address + ">: Recipient address rejected: User unknown");
        var result = h.Service<BounceMailProcessor>().Process(Encoding.UTF8.GetBytes(dsn.ReplaceLineEndings("\r\n")));
        Assert.Equal(BounceMailOutcome.Recorded, result.Outcome);

        foreach (var a in d.Announcements)
            Assert.Equal("hard_bounce", (await h.Client.ReportAsync(a)).StatusOf(d.Contact));
        var bounces = (await h.Client.LogAsync(d.Contact)).Entries().Where(e => e.Str("source") == "bounce").ToList();
        Assert.Equal(3, bounces.Count);
        Assert.Equal(2, bounces.Count(e => e.Str("detail")!.Contains("which carried this announcement too", StringComparison.Ordinal)));
        var next = await h.Client.AddAnnouncementAsync([d.Contact], category: "trips");
        await h.Client.SendAsync(next);
        Assert.Equal("dropped", (await h.Client.ReportAsync(next)).StatusOf(d.Contact));

        // The same bounce read again changes nothing.
        Assert.Equal(BounceMailOutcome.Duplicate, h.Service<BounceMailProcessor>().Process(Encoding.UTF8.GetBytes(dsn.ReplaceLineEndings("\r\n"))).Outcome);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Each_announcement_in_a_digest_counts_its_own_opens_and_clicks(string provider)
    {
        var time = new FakeTimeProvider(Tuesday);
        await using var h = await StartAsync(provider, time);
        var d = await DigestAsync(h, time, ["trips", "clubs"], "<html><body><p>About {category}: <a href=\"https://school.example/{category}\">read more</a></p></body></html>");
        Assert.Equal(["News about trips", "News about clubs"], Regex.Matches(d.Message.HtmlBody!, "<h2>\\d\\. ([^<]+)</h2>").Select(m => m.Groups[1].Value));
        var pixels = Regex.Matches(d.Message.HtmlBody!, """<img src="(?<u>[^"]+)" width="1" height="1" """).Select(m => new Uri(WebUtility.HtmlDecode(m.Groups["u"].Value)).AbsolutePath).ToList();
        Assert.Equal(2, pixels.Count);
        var clicks = d.Message.Hrefs().Where(u => u.StartsWith(TrackingSteps.PublicUrl + "/c/", StringComparison.Ordinal)).Select(u => new Uri(u).AbsolutePath).ToList();
        Assert.Equal(2, clicks.Count);

        // Well after delivery, a person opens the digest's first announcement and follows the second's link.
        time.Advance(TimeSpan.FromHours(2));
        var reader = h.Recipient();
        Assert.Equal(HttpStatusCode.OK, (await reader.FetchAsync(pixels[0])).Status);
        var click = await reader.FetchAsync(clicks[1]);
        Assert.Equal("https://school.example/clubs", click.Location);

        await h.Client.WaitForStatusAsync(d.Announcements[0], d.Contact, "opened");
        await h.Client.WaitForStatusAsync(d.Announcements[1], d.Contact, "clicked");
        Assert.Equal(1, (await h.Client.ReportAsync(d.Announcements[0])).Count("opened"));
        Assert.Equal(0, (await h.Client.ReportAsync(d.Announcements[0])).Count("clicked"));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task The_one_click_unsubscribe_of_a_digest_leaves_every_category_it_carried_by_email(string provider)
    {
        var time = new FakeTimeProvider(Tuesday);
        await using var h = await StartAsync(provider, time);
        var d = await DigestAsync(h, time, ["trips", "clubs"]);
        Assert.Equal("List-Unsubscribe=One-Click", d.Message.Headers["List-Unsubscribe-Post"]);
        var url = Regex.Match(d.Message.Headers["List-Unsubscribe"]!, "<(https://[^>]+)>").Groups[1].Value;
        Assert.Contains(url, d.Message.TextBody);
        Assert.Single(Regex.Matches(d.Message.TextBody ?? "", Regex.Escape(url)));

        using var r = await h.CreateClient(null).PostAsync(new Uri(url).AbsolutePath.TrimStart('/'),
            new FormUrlEncodedContent([new("List-Unsubscribe", "One-Click")]));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var contact = await h.Client.GetAsync($"api/v1/contacts/{d.Contact}").ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(["email:clubs", "email:trips"], contact["optOuts"]!.AsArray().Select(x => x!.GetValue<string>()).Order(StringComparer.Ordinal));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task The_preference_page_sets_how_often_and_a_time_that_is_not_one_changes_nothing(string provider)
    {
        var time = new FakeTimeProvider(Tuesday);
        await using var h = await StartAsync(provider, time);
        var d = await DigestAsync(h, time, ["trips"]);
        var token = Regex.Match(d.Message.Headers["List-Unsubscribe"]!, "/unsubscribe/([^>]+)>").Groups[1].Value;
        var browser = h.CreateClient(null);

        var page = await (await browser.GetAsync($"unsubscribe/{token}")).Content.ReadAsStringAsync();
        Assert.Matches("<input type=\"radio\" id=\"f-yes\" name=\"frequency\" value=\"yes\" checked", page);
        Assert.Contains("The school&#x27;s digest: a digest every day at 17:00", page);

        using var bad = await UnsubscribeTests.PagePostAsync(browser, token, ("digest", "1"), ("frequency", "weekly"), ("day", "5"), ("at", "25:00"));
        var badPage = await bad.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("<span id=\"d-at-problem\" role=\"alert\">Write the time as hours and minutes, such as 18:00.</span>", badPage);
        Assert.Contains("value=\"25:00\"", badPage);
        Assert.Equal("yes", (await h.Client.GetAsync($"api/v1/contacts/{d.Contact}").ExpectAsync(HttpStatusCode.OK)).Str("digest"));

        using var good = await UnsubscribeTests.PagePostAsync(browser, token, ("digest", "1"), ("frequency", "weekly"), ("day", "5"), ("at", "08:30"));
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        Assert.Contains("Saved: a digest every Friday at 08:30.", await good.Content.ReadAsStringAsync());
        Assert.Equal("weekly:fri@08:30", (await h.Client.GetAsync($"api/v1/contacts/{d.Contact}").ExpectAsync(HttpStatusCode.OK)).Str("digest"));
        var change = Assert.Single((await h.Client.LogAsync(d.Contact)).Entries(), e => e.Str("detail")?.StartsWith("digest changed", StringComparison.Ordinal) == true);
        Assert.Equal("page", change.Str("source"));
        Assert.StartsWith("digest changed from yes to weekly:fri@08:30 on the preference page", change.Str("detail"));
    }
}

using System.Net;
using System.Net.Http.Json;
using Herald.Schools;
using Herald.Tests.Api;
using Microsoft.Extensions.Time.Testing;
using static Herald.Tests.Tracking.TrackingSteps;

namespace Herald.Tests.Tracking;

/// <summary>Opens and clicks, end to end: the sent HTML read back from the sandbox, the pixel and links fetched over
/// real HTTP by a client with no API key, the report and the full log read through the API.</summary>
public class TrackingTests
{
    /// <summary>Long enough after the send that no timing rule of the machine-open table applies.</summary>
    private static readonly TimeSpan Later = TimeSpan.FromMinutes(10);

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task An_html_email_gets_an_open_pixel_and_its_web_links_rewritten_and_nothing_else(string provider)
    {
        await using var h = await StartAsync(provider, new FakeTimeProvider(DateTimeOffset.UtcNow));
        var s = await h.SendHtmlAsync();
        var m = await h.MessageAsync(s.Delivery);
        Assert.StartsWith("/o/", m.PixelPath());
        var hrefs = m.Hrefs();
        Assert.Equal(6, hrefs.Count);
        Assert.StartsWith(PublicUrl + "/c/", hrefs[0]);
        Assert.StartsWith(PublicUrl + "/c/", hrefs[1]);
        Assert.NotEqual(hrefs[0], hrefs[1]);
        Assert.Equal(["mailto:office@school.example", "tel:+441632960000", "#top", "https://herald.test.example/unsubscribe/abc"], hrefs[2..]);
        // The text part's links are left as written.
        Assert.Equal(Text, WithoutFooter(m.TextBody));
        Assert.DoesNotContain(s.Delivery.ToString(), m.PixelPath()!);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task The_first_open_records_opened_in_the_report_and_the_log(string provider)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await StartAsync(provider, time);
        var s = await h.SendHtmlAsync();
        var m = await h.MessageAsync(s.Delivery);
        time.Advance(Later);
        using var mail = h.Recipient();
        var (status, type, body, _, cache) = await mail.FetchAsync(m.PixelPath()!);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("image/gif", type);
        Assert.Equal(43, body.Length);
        Assert.Equal("GIF89a", System.Text.Encoding.ASCII.GetString(body, 0, 6));
        Assert.Contains("no-store", cache);
        var report = await h.Client.WaitForStatusAsync(s.Announcement, s.Contact, "opened");
        Assert.Equal(1, report.Count("opened"));
        Assert.Equal(1, report.TrackingOf(s.Contact).N("opens"));
        Assert.NotNull(report.TrackingOf(s.Contact)!["firstOpenedAt"]);
        var opened = Assert.Single(await h.Client.TrackingLogAsync(s.Contact));
        Assert.Equal("opened", opened.Str("status"));
        Assert.True(opened["changedStatus"]!.GetValue<bool>());
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Repeated_opens_are_counted_but_logged_once(string provider)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await StartAsync(provider, time);
        var s = await h.SendHtmlAsync();
        var pixel = (await h.MessageAsync(s.Delivery)).PixelPath()!;
        time.Advance(Later);
        using var mail = h.Recipient();
        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.OK, (await mail.FetchAsync(pixel)).Status);
        await h.Client.WaitForTrackingAsync(s, t => t.N("opens") == 3, "three opens counted");
        Assert.Single(await h.Client.TrackingLogAsync(s.Contact));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_click_redirects_to_exactly_the_original_link_and_records_clicked_with_the_link(string provider)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await StartAsync(provider, time);
        var s = await h.SendHtmlAsync();
        var m = await h.MessageAsync(s.Delivery);
        time.Advance(Later);
        using var mail = h.Recipient();
        var first = await mail.FetchAsync(m.ClickPath(1));
        Assert.Equal(HttpStatusCode.Found, first.Status);
        Assert.Equal(Letter, first.Location);
        Assert.Equal(Trip, (await mail.FetchAsync(m.ClickPath(2))).Location);
        await h.Client.WaitForStatusAsync(s.Announcement, s.Contact, "clicked");
        var clicks = await h.Client.WaitForTrackingLogAsync(s.Contact, 2);
        Assert.All(clicks, e => Assert.Equal("clicked", e.Str("status")));
        Assert.Contains(clicks, e => e.Str("detail")!.Contains(Letter));
        Assert.Contains(clicks, e => e.Str("detail")!.Contains(Trip));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_second_click_on_the_same_link_is_counted_but_not_logged_again(string provider)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await StartAsync(provider, time);
        var s = await h.SendHtmlAsync();
        var link = (await h.MessageAsync(s.Delivery)).ClickPath(1);
        time.Advance(Later);
        using var mail = h.Recipient();
        await mail.FetchAsync(link);
        await mail.FetchAsync(link);
        await h.Client.WaitForTrackingAsync(s, t => t.N("clicks") == 2, "two clicks counted");
        Assert.Single(await h.Client.TrackingLogAsync(s.Contact));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task An_open_after_a_click_leaves_the_delivery_clicked_and_only_counts(string provider)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await StartAsync(provider, time);
        var s = await h.SendHtmlAsync();
        var m = await h.MessageAsync(s.Delivery);
        time.Advance(Later);
        using var mail = h.Recipient();
        await mail.FetchAsync(m.ClickPath(1));
        await h.Client.WaitForStatusAsync(s.Announcement, s.Contact, "clicked");
        await mail.FetchAsync(m.PixelPath()!);
        var report = await h.Client.WaitForTrackingAsync(s, t => t.N("opens") == 1, "the open counted");
        Assert.Equal("clicked", report.StatusOf(s.Contact));
        Assert.Equal(0, report.Count("opened"));
        var open = (await h.Client.WaitForTrackingLogAsync(s.Contact, 2)).Single(e => e.Str("status") == "opened");
        Assert.False(open["changedStatus"]!.GetValue<bool>());
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task An_open_of_the_attempt_before_a_resend_is_only_logged(string provider)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await StartAsync(provider, time);
        var s = await h.SendHtmlAsync();
        var oldPixel = (await h.MessageAsync(s.Delivery, attempt: 1)).PixelPath()!;
        await h.Client.PostJson("api/v1/events", new { deliveryId = s.Delivery, status = "rejected", detail = "550 5.7.1 blocked", attempt = 1 })
            .ExpectAsync(HttpStatusCode.OK);
        await h.Client.PostAsync($"api/v1/announcements/{s.Announcement}/resend",
            JsonContent.Create(new { statuses = new[] { "rejected" }, by = "office" }, options: HeraldHost.Json)).ExpectAsync(HttpStatusCode.OK);
        await h.Client.WaitForStatusAsync(s.Announcement, s.Contact, "sent");
        Assert.NotEqual(oldPixel, (await h.MessageAsync(s.Delivery, attempt: 2)).PixelPath());
        time.Advance(Later);
        using var mail = h.Recipient();
        Assert.Equal(HttpStatusCode.OK, (await mail.FetchAsync(oldPixel)).Status);
        var entry = Assert.Single(await h.Client.WaitForTrackingLogAsync(s.Contact, 1));
        Assert.Equal(1, entry["attempt"]!.GetValue<int>());
        Assert.Contains("about attempt 1", entry.Str("detail"));
        var report = await h.Client.ReportAsync(s.Announcement);
        Assert.Equal("sent", report.StatusOf(s.Contact));
        Assert.Null(report.TrackingOf(s.Contact));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task An_apple_privacy_protection_open_is_flagged_and_counted_apart(string provider)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await StartAsync(provider, time);
        var s = await h.SendHtmlAsync();
        var pixel = (await h.MessageAsync(s.Delivery)).PixelPath()!;
        time.Advance(Later);
        using var apple = h.Recipient("Mozilla/5.0");
        Assert.Equal(HttpStatusCode.OK, (await apple.FetchAsync(pixel)).Status);
        var report = await h.Client.WaitForReportAsync(s.Announcement, r => r.Automated() == 1, "one likely automated open");
        Assert.Equal("sent", report.StatusOf(s.Contact));
        Assert.Equal(0, report.Count("opened"));
        Assert.Equal(1, report.TrackingOf(s.Contact).N("machineOpens"));
        Assert.True(report.TrackingOf(s.Contact)!["likelyAutomatedOnly"]!.GetValue<bool>());
        var entry = Assert.Single(await h.Client.TrackingLogAsync(s.Contact));
        Assert.Null(entry.Str("status"));
        Assert.Contains("apple-mail-privacy-protection", entry.Str("detail"));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Gmails_image_proxy_right_after_the_send_is_flagged_and_a_later_fetch_is_the_readers_open(string provider)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await StartAsync(provider, time);
        var s = await h.SendHtmlAsync();
        var pixel = (await h.MessageAsync(s.Delivery)).PixelPath()!;
        using var gmail = h.Recipient("Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)");
        time.Advance(TimeSpan.FromSeconds(30));
        await gmail.FetchAsync(pixel);
        var report = await h.Client.WaitForReportAsync(s.Announcement, r => r.Automated() == 1, "the prefetch counted apart");
        Assert.Equal("sent", report.StatusOf(s.Contact));
        Assert.Contains("gmail-image-proxy-prefetch", (await h.Client.TrackingLogAsync(s.Contact)).Single().Str("detail"));
        time.Advance(Later);
        await gmail.FetchAsync(pixel);
        report = await h.Client.WaitForStatusAsync(s.Announcement, s.Contact, "opened");
        Assert.Equal(0, report.Automated());
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_scanner_following_every_link_as_the_message_arrives_is_flagged_yet_redirected(string provider)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await StartAsync(provider, time);
        var s = await h.SendHtmlAsync();
        var m = await h.MessageAsync(s.Delivery);
        // A gateway posing as a desktop browser, seconds after delivery.
        using var scanner = h.Recipient();
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(Letter, (await scanner.FetchAsync(m.ClickPath(1))).Location);
        Assert.Equal(Trip, (await scanner.FetchAsync(m.ClickPath(2))).Location);
        await scanner.FetchAsync(m.PixelPath()!);
        var report = await h.Client.WaitForTrackingAsync(s, t => t.N("machineClicks") == 2 && t.N("machineOpens") == 1, "the scan counted");
        Assert.Equal("sent", report.StatusOf(s.Contact));
        Assert.Equal(1, report.Automated());
        var log = await h.Client.WaitForTrackingLogAsync(s.Contact, 3);
        Assert.All(log, e => Assert.Contains("within-seconds-of-send", e.Str("detail")));
        Assert.All(log, e => Assert.Null(e.Str("status")));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Forged_mangled_and_misplaced_tokens_are_a_bare_404_and_change_nothing(string provider)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await StartAsync(provider, time);
        var s = await h.SendHtmlAsync();
        var m = await h.MessageAsync(s.Delivery);
        var open = m.PixelPath()![3..];
        var click = m.ClickPath(1)[3..];
        time.Advance(Later);
        string Flip(string t, int i) => t[..i] + (t[i] == 'a' ? 'b' : 'a') + t[(i + 1)..];
        var bad = new[]
        {
            "/o/" + new string('a', 42), "/c/" + new string('a', 42),
            "/o/" + Flip(open, 0), "/o/" + Flip(open, 20), "/o/" + Flip(open, 41), "/c/" + Flip(click, 10),
            "/o/" + open[..41], "/o/" + open + "a", "/o/" + open.ToUpperInvariant(),
            "/c/" + open, "/o/" + click,
        };
        using var mail = h.Recipient();
        var answers = new List<string>();
        foreach (var path in bad)
        {
            var (status, _, body, location, _) = await mail.FetchAsync(path);
            Assert.True(status == HttpStatusCode.NotFound, $"{path}: {(int)status}");
            Assert.Null(location);
            answers.Add(System.Text.Encoding.UTF8.GetString(body));
        }
        Assert.Single(answers.Distinct());
        // A good request afterwards is recorded alone: nothing before it was.
        await mail.FetchAsync(m.PixelPath()!);
        var report = await h.Client.WaitForStatusAsync(s.Announcement, s.Contact, "opened");
        Assert.Equal(1, report.TrackingOf(s.Contact).N("opens"));
        Assert.Equal(0, report.TrackingOf(s.Contact).N("clicks"));
        Assert.Single(await h.Client.TrackingLogAsync(s.Contact));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_click_cannot_be_made_to_redirect_anywhere_else(string provider)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await StartAsync(provider, time);
        var s = await h.SendHtmlAsync();
        var link = (await h.MessageAsync(s.Delivery)).ClickPath(1);
        time.Advance(Later);
        using var mail = h.Recipient();
        foreach (var query in new[] { "?url=https://evil.example/", "?u=https%3A%2F%2Fevil.example&redirect=https://evil.example", "?" })
            Assert.Equal(Letter, (await mail.FetchAsync(link + query)).Location);
        foreach (var path in new[] { link + "%2F%2Fevil.example", link[..^1] + "%2e", link + "@evil.example" })
        {
            var (status, _, _, location, _) = await mail.FetchAsync(path);
            Assert.True(status == HttpStatusCode.NotFound, $"{path}: {(int)status} to {location}");
        }
        // Not a tracking route at all: no redirect either (the API's fallback answers).
        var (other, _, _, elsewhere, _) = await mail.FetchAsync(link + "/https://evil.example");
        Assert.Null(elsewhere);
        Assert.True((int)other >= 400, $"{(int)other}");
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_school_that_switched_tracking_off_sends_no_pixel_and_its_links_as_written(string provider)
    {
        await using var h = await StartAsync(provider, new FakeTimeProvider(DateTimeOffset.UtcNow));
        h.Service<SchoolStore>().SetTracking(h.School.Id, false);
        var s = await h.SendHtmlAsync();
        var m = await h.MessageAsync(s.Delivery);
        Assert.Null(m.PixelPath());
        Assert.Equal(Html, WithoutFooter(m.HtmlBody));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task The_cli_switches_a_schools_tracking_off_and_on_again(string provider)
    {
        await using var h = await StartAsync(provider, new FakeTimeProvider(DateTimeOffset.UtcNow));
        await Herald.Tests.Cli.CliSteps.RunOk(h.Storage, "schools", "tracking", h.School.Slug, "off");
        Assert.Null((await h.MessageAsync((await h.SendHtmlAsync()).Delivery)).PixelPath());
        await Herald.Tests.Cli.CliSteps.RunOk(h.Storage, "schools", "tracking", h.School.Slug, "on");
        Assert.NotNull((await h.MessageAsync((await h.SendHtmlAsync()).Delivery)).PixelPath());
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Simultaneous_opens_are_all_counted_and_the_first_is_logged_once(string provider)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await StartAsync(provider, time);
        var s = await h.SendHtmlAsync();
        var pixel = (await h.MessageAsync(s.Delivery)).PixelPath()!;
        time.Advance(Later);
        using var mail = h.Recipient();
        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => mail.FetchAsync(pixel)));
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        var report = await h.Client.WaitForTrackingAsync(s, t => t.N("opens") == 20, "twenty opens counted");
        Assert.Equal("opened", report.StatusOf(s.Contact));
        Assert.Single(await h.Client.TrackingLogAsync(s.Contact));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task An_announcement_posted_with_track_false_sends_no_pixel_and_its_links_as_written(string provider)
    {
        await using var h = await StartAsync(provider, new FakeTimeProvider(DateTimeOffset.UtcNow));
        var s = await h.SendHtmlAsync(track: false);
        var m = await h.MessageAsync(s.Delivery);
        Assert.Null(m.PixelPath());
        Assert.Equal(Html, WithoutFooter(m.HtmlBody));
        // Another announcement of the same school is tracked.
        Assert.NotNull((await h.MessageAsync((await h.SendHtmlAsync()).Delivery)).PixelPath());
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_text_only_email_is_not_tracked(string provider)
    {
        await using var h = await StartAsync(provider, new FakeTimeProvider(DateTimeOffset.UtcNow));
        var s = await h.SendHtmlAsync(html: null);
        var m = await h.MessageAsync(s.Delivery);
        Assert.Null(m.HtmlBody);
        Assert.Equal(Text, WithoutFooter(m.TextBody));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Without_a_public_url_nothing_is_tracked(string provider)
    {
        await using var h = await StartAsync(provider, new FakeTimeProvider(DateTimeOffset.UtcNow), publicUrl: false);
        var s = await h.SendHtmlAsync();
        var m = await h.MessageAsync(s.Delivery);
        Assert.Null(m.PixelPath());
        Assert.Equal(Html, WithoutFooter(m.HtmlBody));
    }

    /// <summary>The body as the school wrote it: every email also carries Herald's footer (the unsubscribe link,
    /// docs/preferences.md), which is never tracked and is not what these tests are about.</summary>
    private static string? WithoutFooter(string? body)
    {
        if (body is null) return null;
        var text = body.IndexOf("\n\n-- \n", StringComparison.Ordinal);
        if (text >= 0) return body[..text].Trim();
        var html = body.IndexOf("<hr><p style=\"font-size:small;color:#444\">", StringComparison.Ordinal);
        if (html < 0) return body.Trim();
        var end = body.IndexOf("</p>", html, StringComparison.Ordinal) + "</p>".Length;
        return body.Remove(html, end - html);
    }
}

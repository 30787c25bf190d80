using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Herald.Tests.Api;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Tests.Tracking;

/// <summary>The steps of the opens-and-clicks stories: a host with tracking configured, an HTML announcement with
/// every kind of link, the sent message read back from the sandbox, and a recipient's mail client fetching the pixel
/// or following a link.</summary>
public static partial class TrackingSteps
{
    public const string PublicUrl = "https://herald.test.example";
    public const string UnsubscribeBase = "https://herald.test.example";
    public const string Letter = "https://school.example/letter?year=7&term=spring";
    public const string Trip = "http://trips.school.example/kit-list";

    /// <summary>A desktop browser (a person's mail client showing images).</summary>
    public const string Browser = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

    /// <summary>The announcement's HTML: two web links (the first with an entity, as HTML writes '&amp;'), and the links
    /// tracking must leave alone.</summary>
    public const string Html = """
        <html><body><h1>Spring letter</h1>
        <p>Read <a href="https://school.example/letter?year=7&amp;term=spring">the letter</a> and the
        <a class="kit" href='http://trips.school.example/kit-list'>kit list</a>.</p>
        <p><a href="mailto:office@school.example">Email the office</a>, <a href="tel:+441632960000">call us</a>,
        <a href="#top">back to top</a>, <a href="https://herald.test.example/unsubscribe/abc">unsubscribe</a>.</p>
        </body></html>
        """;

    public const string Text = "Spring letter: https://school.example/letter?year=7&term=spring";

    public static Task<HeraldHost> StartAsync(string provider, FakeTimeProvider time, bool publicUrl = true) =>
        HeraldHost.StartAsync(provider, time, settings: new Dictionary<string, string?>
        {
            ["Herald:Email:Tracking:BaseUrl"] = publicUrl ? PublicUrl : null,
            ["Herald:Email:Tracking:Secret"] = "tracking-secret-for-tests-0123456789",
            ["Herald:Email:UnsubscribeBaseUrl"] = UnsubscribeBase,
        });

    /// <summary>Creates and sends an HTML (and text) announcement to one new contact; waits until it is sent.</summary>
    public static async Task<Sent> SendHtmlAsync(this HeraldHost h, bool? track = null, string? html = Html, string? text = Text,
        HttpClient? client = null)
    {
        client ??= h.Client;
        var contact = await client.AddContactAsync($"parent-{Guid.NewGuid():N}@school.example");
        var body = await client.PostJson("api/v1/announcements", new
        {
            subject = "Spring letter", text, html, channels = new[] { "email" }, category = "general", audience = new { contactIds = new[] { contact } }, track,
        }).ExpectAsync(HttpStatusCode.Created);
        var a = body["id"]!.GetValue<long>();
        await client.SendAsync(a);
        var report = await client.WaitForStatusAsync(a, contact, "sent");
        return new Sent(a, contact, report.LineOf(contact)["deliveryId"]!.GetValue<long>());
    }

    public sealed record Sent(long Announcement, long Contact, long Delivery);

    /// <summary>The message as the sandbox wrote it for this attempt.</summary>
    public static async Task<MimeKit.MimeMessage> MessageAsync(this HeraldHost h, long delivery, int attempt = 1)
    {
        var eml = Path.Combine(h.SandboxEmailFolder, $"{delivery}-{attempt}-1.eml");
        Assert.True(File.Exists(eml), $"no {eml}");
        return await MimeKit.MimeMessage.LoadAsync(eml);
    }

    [GeneratedRegex("""<img src="(?<u>[^"]+)" width="1" height="1" """)]
    private static partial Regex PixelImg();

    [GeneratedRegex("""href\s*=\s*["'](?<u>[^"']+)["']""")]
    private static partial Regex Href();

    /// <summary>The open pixel's path (<c>/o/TOKEN</c>), or null when the message has none.</summary>
    public static string? PixelPath(this MimeKit.MimeMessage m) =>
        m.HtmlBody is { } html && PixelImg().Match(html) is { Success: true } x ? new Uri(WebUtility.HtmlDecode(x.Groups["u"].Value)).AbsolutePath : null;

    /// <summary>Every href of the HTML part, in order, entities decoded.</summary>
    public static List<string> Hrefs(this MimeKit.MimeMessage m) =>
        Href().Matches(m.HtmlBody ?? "").Select(x => WebUtility.HtmlDecode(x.Groups["u"].Value)).ToList();

    /// <summary>The path (<c>/c/TOKEN</c>) of the n-th tracked link (1-based).</summary>
    public static string ClickPath(this MimeKit.MimeMessage m, int n) =>
        new Uri(m.Hrefs().Where(u => u.StartsWith(PublicUrl + "/c/", StringComparison.Ordinal)).ElementAt(n - 1)).AbsolutePath;

    /// <summary>A mail client with no API key that does not follow redirects.</summary>
    public static HttpClient Recipient(this HeraldHost h, string? userAgent = Browser)
    {
        var c = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = h.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (userAgent is not null) c.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", userAgent);
        return c;
    }

    /// <summary>Fetches a tracking path; returns the answer (status, content type, bytes, Location).</summary>
    public static async Task<(HttpStatusCode Status, string? Type, byte[] Body, string? Location, string? CacheControl)> FetchAsync(this HttpClient c, string path)
    {
        using var r = await c.GetAsync(path.TrimStart('/'));
        return (r.StatusCode, r.Content.Headers.ContentType?.MediaType, await r.Content.ReadAsByteArrayAsync(), r.Headers.Location?.OriginalString,
            r.Headers.CacheControl?.ToString());
    }

    public static JsonNode? TrackingOf(this JsonNode report, long contact) => report.LineOf(contact)["tracking"];

    public static long Automated(this JsonNode report) => report["tracking"]!["openedLikelyAutomated"]!.GetValue<long>();

    /// <summary>The contact's log entries written by tracking.</summary>
    public static async Task<List<JsonNode>> TrackingLogAsync(this HttpClient c, long contact) =>
        (await c.LogAsync(contact)).Entries().Where(e => e.Str("source") == "tracking").Select(e => e!).ToList();

    /// <summary>Waits until the contact's log has <paramref name="n"/> tracking entries (the endpoints answer before they write).</summary>
    public static async Task<List<JsonNode>> WaitForTrackingLogAsync(this HttpClient c, long contact, int n)
    {
        var deadline = DateTime.UtcNow + HeraldHost.DispatchTimeout;
        while (true)
        {
            var entries = await c.TrackingLogAsync(contact);
            if (entries.Count >= n) return entries;
            if (DateTime.UtcNow > deadline) throw new Xunit.Sdk.XunitException($"waited for {n} tracking log entries of contact {contact}; have {entries.Count}");
            await Task.Delay(50);
        }
    }

    /// <summary>Waits until the contact's report line satisfies <paramref name="done"/>.</summary>
    public static Task<JsonNode> WaitForTrackingAsync(this HttpClient c, Sent s, Func<JsonNode?, bool> done, string what) =>
        c.WaitForReportAsync(s.Announcement, r => done(r.TrackingOf(s.Contact)), what);

    public static long N(this JsonNode? n, string field) => n?[field]?.GetValue<long>() ?? 0;
}

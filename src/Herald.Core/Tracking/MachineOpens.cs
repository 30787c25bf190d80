namespace Herald.Core.Tracking;

/// <summary>What a tracking request was: the open pixel, or a click on one of the message's links.</summary>
public enum TrackingKind { Open, Click }

/// <summary>One row of the machine-open table: when it matches, the open (or click) is recorded but flagged "likely
/// automated". A row matches when every condition it names holds.</summary>
/// <param name="Name">Short name, shown in the log's detail (<c>likely automated: NAME</c>).</param>
/// <param name="Kinds">What it applies to: opens, clicks or both.</param>
/// <param name="UserAgentExactly">The whole User-Agent equals this (ordinal, after trimming).</param>
/// <param name="UserAgentContains">The User-Agent contains one of these (case-insensitive).</param>
/// <param name="MissingUserAgent">The request carries no User-Agent (or an empty one).</param>
/// <param name="WithinOfSend">The request came at most this long after Herald built and sent the message.</param>
/// <param name="Source">Where the behaviour is documented or how it is known (no URL is ever fetched).</param>
public sealed record MachineRule(string Name, TrackingKind[] Kinds, string? UserAgentExactly = null, string[]? UserAgentContains = null,
    bool MissingUserAgent = false, TimeSpan? WithinOfSend = null, string Source = "");

/// <summary>
/// Opens and clicks that a machine made, not a person: image proxies that prefetch (Apple Mail Privacy Protection,
/// Gmail's proxy at delivery time) and security scanners that fetch every image and link as the message arrives.
/// They are recorded (counted, logged once) but never move a delivery to <c>opened</c> or <c>clicked</c>; the report
/// counts them apart as "opened (likely automated)". Heuristics, not proof: docs/preferences.md (opens and clicks) says so to staff.
/// </summary>
public static class MachineOpens
{
    /// <summary>How soon after the send a request counts as a scanner's: gateways scan a message while it is delivered,
    /// within seconds; a person who opens a school's email in its first ten seconds is rare, and a miss only moves one
    /// open into the "likely automated" count, never loses it.</summary>
    public static readonly TimeSpan ScannerWindow = TimeSpan.FromSeconds(10);

    /// <summary>Gmail's proxy fetching within this of the send is its delivery-time prefetch, not the reader's open.</summary>
    public static readonly TimeSpan GmailPrefetchWindow = TimeSpan.FromSeconds(60);

    private static readonly TrackingKind[] Opens = [TrackingKind.Open];
    private static readonly TrackingKind[] Both = [TrackingKind.Open, TrackingKind.Click];

    /// <summary>The table, first match wins (its name goes into the log).</summary>
    public static readonly IReadOnlyList<MachineRule> Rules =
    [
        // Apple Mail Privacy Protection (iOS 15 / macOS Monterey and later): Apple's proxy "loads remote content privately
        // in the background, even when you don't open the message" (Apple, "Use Mail Privacy Protection on iPhone",
        // Apple Support; Apple Platform Security guide, "Mail Privacy Protection"). Its requests carry the bare
        // User-Agent "Mozilla/5.0" and nothing else, as email providers have widely reported since 2021 (Litmus,
        // Twilio SendGrid and Mailchimp guides on MPP). No real mail client or browser sends the bare token.
        new("apple-mail-privacy-protection", Opens, UserAgentExactly: "Mozilla/5.0",
            Source: "Apple Support: Use Mail Privacy Protection; bare 'Mozilla/5.0' User-Agent widely reported by ESPs"),
        // Gmail serves every image through its proxy ("GoogleImageProxy", via ggpht.com), fetched when the reader opens
        // the message (Gmail blog, Dec 2013, "Images now showing"; Google Workspace Admin Help, "image URL proxy").
        // A fetch right after the send is the proxy prefetching at delivery, not the reader: only those are flagged.
        new("gmail-image-proxy-prefetch", Opens, UserAgentContains: ["GoogleImageProxy"], WithinOfSend: GmailPrefetchWindow,
            Source: "Gmail 'Images now showing' (2013); Google Workspace Admin Help, image URL proxy"),
        // Security gateways that follow every link and image of an incoming message (Microsoft Defender for Office 365
        // Safe Links and Safe Attachments detonation, Mimecast URL Protect, Proofpoint URL Defense, Barracuda Link
        // Protection) identify themselves, or use a headless browser or an HTTP library; crawlers say 'bot'.
        new("scanner-or-library-user-agent", Both, UserAgentContains:
            ["bot", "crawler", "spider", "HeadlessChrome", "PhantomJS", "python-requests", "python-urllib", "aiohttp", "curl/", "Wget",
             "Go-http-client", "Java/", "okhttp", "Apache-HttpClient", "libwww-perl", "Barracuda", "Mimecast", "Proofpoint", "Symantec",
             "Trend Micro", "Forcepoint", "Sophos", "Cisco", "Ironport"],
            Source: "vendor docs of Defender Safe Links, Mimecast URL Protect, Proofpoint URL Defense, Barracuda Link Protection; libraries' default User-Agents"),
        // Browsers and mail clients always send a User-Agent (RFC 9110, section 10.1.5: a user agent SHOULD send it);
        // a request without one is a script.
        new("no-user-agent", Both, MissingUserAgent: true, Source: "RFC 9110 section 10.1.5 (User-Agent); scripts that send none"),
        // Whatever the User-Agent (scanners often pose as a desktop browser): a fetch within seconds of the send is the
        // gateway scanning the message as it is delivered (the same vendor docs: links are checked on delivery).
        new("within-seconds-of-send", Both, WithinOfSend: ScannerWindow,
            Source: "pre-delivery link scanning in Defender Safe Links, Mimecast, Proofpoint, Barracuda docs"),
    ];

    /// <summary>The first rule that matches the request, or null for what is taken as a person's open or click.</summary>
    /// <param name="sinceSend">How long after the message was built and sent the request came (null: unknown).</param>
    public static MachineRule? Match(TrackingKind kind, string? userAgent, TimeSpan? sinceSend)
    {
        var ua = userAgent?.Trim() ?? "";
        foreach (var r in Rules)
        {
            if (!r.Kinds.Contains(kind)) continue;
            if (r.UserAgentExactly is not null && !string.Equals(ua, r.UserAgentExactly, StringComparison.Ordinal)) continue;
            if (r.UserAgentContains is not null && !r.UserAgentContains.Any(p => ua.Contains(p, StringComparison.OrdinalIgnoreCase))) continue;
            if (r.MissingUserAgent && ua.Length != 0) continue;
            if (r.WithinOfSend is { } w && (sinceSend is not { } s || s > w)) continue;
            return r;
        }
        return null;
    }
}

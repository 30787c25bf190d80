using System.ComponentModel.DataAnnotations;

namespace Herald.Email;

/// <summary>Which transport carries email (<c>Herald:Transport:Email</c>).</summary>
public enum EmailTransportMode
{
    /// <summary>Default: each email is an .eml file in the data folder; nothing leaves the machine.</summary>
    Sandbox,
    /// <summary>An SMTP relay (<c>Herald:Email:Smtp</c>).</summary>
    Smtp,
}

/// <summary>Real email settings (<c>Herald:Email</c>): the relay, the bounce domain and mailbox, DKIM.
/// Read when <c>Herald:Transport:Email</c> is <c>smtp</c>; the bounce settings also when a bounce mailbox is
/// configured (<c>Herald:Email:Bounces:Imap:Host</c>), whatever the transport.</summary>
public sealed class EmailOptions
{
    public SmtpRelayOptions Smtp { get; set; } = new();
    public BounceOptions Bounces { get; set; } = new();
    public DkimOptions Dkim { get; set; } = new();

    /// <summary>Herald's public base URL, for the one-click <c>List-Unsubscribe</c> link. Empty: the header carries
    /// only the mailto form (to the bounce domain).</summary>
    public string? UnsubscribeBaseUrl { get; set; }

    /// <summary>Opens and clicks (<c>Herald:Email:Tracking</c>); off unless its public base URL is set.</summary>
    public TrackingOptions Tracking { get; set; } = new();

    /// <summary>Problems of the tracking settings, whatever the transport (the sandbox tracks too).</summary>
    public IEnumerable<string> TrackingProblems()
    {
        if (string.IsNullOrWhiteSpace(Tracking.BaseUrl)) yield break;
        if (!Uri.TryCreate(Tracking.BaseUrl, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https"))
            yield return "Herald:Email:Tracking:BaseUrl: not an absolute http(s) URL";
        if (TrackingSecret is null)
            yield return "Herald:Email:Tracking:Secret: required when Tracking:BaseUrl is set (or set Herald:Email:Bounces:TokenSecret, from which it is derived)";
        else if (TrackingSecret.Length < 16)
            yield return "Herald:Email:Tracking:Secret: at least 16 characters";
    }

    /// <summary>The secret tracking tokens are signed with: its own, or one derived from the bounce token secret (a
    /// different key, so a tracking token is never valid as a return path or an unsubscribe link).</summary>
    public string? TrackingSecret => !string.IsNullOrWhiteSpace(Tracking.Secret) ? Tracking.Secret
        : !string.IsNullOrWhiteSpace(Bounces.TokenSecret) ? Bounces.TokenSecret + "\0tracking" : null;

    /// <summary>True when HTML emails get the open pixel and tracked links (a school or an announcement can still say no).</summary>
    public bool TrackingEnabled => !string.IsNullOrWhiteSpace(Tracking.BaseUrl) && TrackingSecret is not null;

    /// <summary>After a relay's "delayed" report (or a soft bounce posted as feedback), how long Herald waits for a
    /// failure before the delivery settles on <c>sent</c>: the relay keeps retrying and reports only if it gives up.
    /// Default 5 days, Postfix's <c>maximal_queue_lifetime</c>.</summary>
    public TimeSpan DelayedSettleAfter { get; set; } = TimeSpan.FromDays(5);

    /// <summary>What is missing or wrong, for the start-up error.</summary>
    public IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(Smtp.Host)) yield return "Herald:Email:Smtp:Host: required when Herald:Transport:Email is smtp";
        if (Smtp.Port is < 1 or > 65535) yield return "Herald:Email:Smtp:Port: between 1 and 65535";
        if (!SecurityModes.All.Contains(Smtp.EffectiveSecurity))
            yield return "Herald:Email:Smtp:Security: one of none, starttls, starttls-when-available, tls";
        else if (SecurityModes.Cleartext(Smtp.EffectiveSecurity, Smtp.HasCredentials) is { } clear)
            yield return $"Herald:Email:Smtp:Security: {clear}";
        if (string.IsNullOrEmpty(Smtp.Username) != string.IsNullOrEmpty(Smtp.Password))
            yield return "Herald:Email:Smtp:Username and Password: give both or neither";
        foreach (var p in TrustedCertificate.Problems("Herald:Email:Smtp:TrustedCertificate", Smtp.TrustedCertificate)) yield return p;
        if (Smtp.Connections is < 1 or > 256) yield return "Herald:Email:Smtp:Connections: between 1 and 256";
        if (Smtp.PerDomainConnections is < 1 or > 256) yield return "Herald:Email:Smtp:PerDomainConnections: between 1 and 256";
        if (Smtp.Timeout <= TimeSpan.Zero || Smtp.Timeout > TimeSpan.FromMinutes(10)) yield return "Herald:Email:Smtp:Timeout: more than 0 and at most 00:10:00";
        if (Smtp.MessagesPerConnection < 1) yield return "Herald:Email:Smtp:MessagesPerConnection: 1 or more";
        if (Smtp.PerDomainPerSecond is < 0) yield return "Herald:Email:Smtp:PerDomainPerSecond: 0 (no limit) or more";
        foreach (var p in Bounces.Problems()) yield return p;
        if (!string.IsNullOrWhiteSpace(Dkim.PrivateKeyFile) && (string.IsNullOrWhiteSpace(Dkim.Domain) || string.IsNullOrWhiteSpace(Dkim.Selector)))
            yield return "Herald:Email:Dkim:Domain and Selector: required when PrivateKeyFile is set";
        if (!string.IsNullOrWhiteSpace(Dkim.PrivateKeyFile) && !File.Exists(Dkim.PrivateKeyFile))
            yield return $"Herald:Email:Dkim:PrivateKeyFile: {Dkim.PrivateKeyFile} does not exist";
        if (!string.IsNullOrWhiteSpace(UnsubscribeBaseUrl) && !Uri.TryCreate(UnsubscribeBaseUrl, UriKind.Absolute, out _))
            yield return "Herald:Email:UnsubscribeBaseUrl: not an absolute URL";
    }
}

/// <summary>Opens and clicks (<c>Herald:Email:Tracking</c>, docs/preferences.md (opens and clicks)).</summary>
public sealed class TrackingOptions
{
    /// <summary>Herald's public base URL as recipients reach it (e.g. <c>https://herald.example.org</c>): the pixel is
    /// <c>BASE/o/TOKEN</c>, links <c>BASE/c/TOKEN</c>. Empty (the default): nothing is tracked.</summary>
    public string? BaseUrl { get; set; }

    /// <summary>The secret tokens are signed with; default: derived from <c>Herald:Email:Bounces:TokenSecret</c>.
    /// Changing it makes the links of mail already sent answer 404.</summary>
    public string? Secret { get; set; }
}

/// <summary>The relay Herald submits to (<c>Herald:Email:Smtp</c>).</summary>
public sealed class SmtpRelayOptions
{
    public string? Host { get; set; }
    /// <summary>Default 587.</summary>
    public int Port { get; set; } = 587;
    /// <summary><c>none</c>, <c>starttls</c>, <c>starttls-when-available</c> or <c>tls</c> (TLS on connect). Default: <c>starttls</c>
    /// when a Username is set, else <c>starttls-when-available</c> (<see cref="EffectiveSecurity"/>).</summary>
    public string? Security { get; set; }
    public string? Username { get; set; }
    public string? Password { get; set; }
    /// <summary>A PEM file with the CA (or the relay's own self-signed certificate) to trust instead of the system's CA
    /// store; empty: the system's trust.</summary>
    public string? TrustedCertificate { get; set; }

    public bool HasCredentials => !string.IsNullOrEmpty(Username) || !string.IsNullOrEmpty(Password);

    /// <summary>The security in force. With credentials the default is <c>starttls</c>, required: the password must never
    /// travel in clear. Without credentials it stays <c>starttls-when-available</c>: there is no secret to lose, and
    /// many relays that let Herald in by its address (a local Postfix, a relay on the school's network) offer no TLS
    /// at all, so requiring it would stop mail that works today; the message still goes encrypted whenever the relay
    /// offers STARTTLS (opportunistic TLS, as between MTAs, RFC 3207 §4).</summary>
    public string EffectiveSecurity => Security?.Trim().ToLowerInvariant() is { Length: > 0 } s ? s : HasCredentials ? "starttls" : "starttls-when-available";
    /// <summary>Open connections kept to the relay (messages in flight at once). Default 8.</summary>
    public int Connections { get; set; } = 8;
    /// <summary>Most messages in flight at once to one recipient domain. Default 4.</summary>
    public int PerDomainConnections { get; set; } = 4;
    /// <summary>Most messages per second to one recipient domain; 0 means no limit. Default 0.</summary>
    public double PerDomainPerSecond { get; set; }
    /// <summary>How long one SMTP command may take before the try counts as a temporary failure. Default 60 s.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(60);
    /// <summary>Messages sent on one connection before it is closed and a new one opened (relays limit sessions). Default 1000.</summary>
    public int MessagesPerConnection { get; set; } = 1000;
    /// <summary>Name Herald gives in EHLO. Empty: the machine's host name.</summary>
    public string? LocalDomain { get; set; }
}

/// <summary>Where bounces come back (<c>Herald:Email:Bounces</c>).</summary>
public sealed class BounceOptions
{
    /// <summary>The bounce domain: the return path of every message is <c>LocalPart+TOKEN@Domain</c>.</summary>
    public string? Domain { get; set; }
    /// <summary>Default <c>bounces</c>.</summary>
    public string LocalPart { get; set; } = "bounces";
    /// <summary>Secret that signs the VERP tokens (HMAC-SHA256); at least 16 characters.</summary>
    public string? TokenSecret { get; set; }
    /// <summary>Secrets used before <see cref="TokenSecret"/> (the keyring): return paths and unsubscribe links made with
    /// them still verify after a rotation, so a bounce or an unsubscribe of mail sent before it still counts. New ones
    /// are always made with <see cref="TokenSecret"/>.</summary>
    public string[] PreviousTokenSecrets { get; set; } = [];
    public ImapOptions Imap { get; set; } = new();

    /// <summary>The largest returned message Herald reads, in bytes. Default 10 MiB: a bounce that returns the whole
    /// original stays far below it (Herald's own messages are small, and Postfix's message_size_limit defaults to
    /// 10,240,000 bytes anyway). Larger ones are kept aside unparsed: the IMAP reader moves them to
    /// <see cref="ImapOptions.OversizedFolder"/> without downloading them; <c>herald bounces receive</c> stops reading there
    /// and keeps the head in <c>DATA/bounces/oversized/</c>.</summary>
    public int MaxMessageBytes { get; set; } = DefaultMaxMessageBytes;

    public const int DefaultMaxMessageBytes = 10 * 1024 * 1024;

    /// <summary>The size cap's problem, checked whatever the transport (<c>herald bounces receive</c> reads it without a
    /// mailbox or SMTP). At least 64 KiB, so a real report with quoted headers always fits; at most 256 MiB, as a
    /// message is held in memory while it is read.</summary>
    public IEnumerable<string> LimitProblems()
    {
        if (MaxMessageBytes is < 64 * 1024 or > 256 * 1024 * 1024)
            yield return "Herald:Email:Bounces:MaxMessageBytes: between 65536 (64 KiB) and 268435456 (256 MiB)";
    }

    /// <summary>What is missing or wrong in the bounce settings, for the start-up error. Checked whenever mail goes
    /// out by SMTP or a bounce mailbox is configured (<c>Imap:Host</c> set).</summary>
    public IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(Domain)) yield return "Herald:Email:Bounces:Domain: required (the VERP return path is bounces+TOKEN@Domain)";
        if (string.IsNullOrWhiteSpace(LocalPart) || LocalPart.Contains('+') || LocalPart.Contains('@'))
            yield return "Herald:Email:Bounces:LocalPart: required, without '+' or '@'";
        if (string.IsNullOrWhiteSpace(TokenSecret) || TokenSecret.Length < 16)
            yield return "Herald:Email:Bounces:TokenSecret: required, at least 16 characters (signs the VERP tokens)";
        if (PreviousTokenSecrets.Any(s => string.IsNullOrWhiteSpace(s) || s.Length < 16))
            yield return "Herald:Email:Bounces:PreviousTokenSecrets: each at least 16 characters";
        if (!string.IsNullOrWhiteSpace(Imap.Host))
        {
            if (Imap.Port is < 1 or > 65535) yield return "Herald:Email:Bounces:Imap:Port: between 1 and 65535";
            if (string.IsNullOrWhiteSpace(Imap.Username) || string.IsNullOrWhiteSpace(Imap.Password))
                yield return "Herald:Email:Bounces:Imap:Username and Password: required when Imap:Host is set";
            if (!SecurityModes.All.Contains(Imap.Security))
                yield return "Herald:Email:Bounces:Imap:Security: one of none, starttls, starttls-when-available, tls";
            // The mailbox always logs in, so the rule for credentials always applies.
            else if (SecurityModes.Cleartext(Imap.Security, hasCredentials: true) is { } clear)
                yield return $"Herald:Email:Bounces:Imap:Security: {clear}";
            foreach (var p in TrustedCertificate.Problems("Herald:Email:Bounces:Imap:TrustedCertificate", Imap.TrustedCertificate)) yield return p;
            foreach (var (name, folder) in new[] { ("Folder", Imap.Folder), ("ProcessedFolder", Imap.ProcessedFolder), ("UnmatchedFolder", Imap.UnmatchedFolder), ("OversizedFolder", Imap.OversizedFolder) })
                if (string.IsNullOrWhiteSpace(folder) || folder.Split('/').Any(string.IsNullOrWhiteSpace))
                    yield return $"Herald:Email:Bounces:Imap:{name}: a folder path, levels separated by '/'";
            if (new[] { Imap.Folder, Imap.ProcessedFolder, Imap.UnmatchedFolder, Imap.OversizedFolder }.Distinct(StringComparer.OrdinalIgnoreCase).Count() < 4)
                yield return "Herald:Email:Bounces:Imap:Folder, ProcessedFolder, UnmatchedFolder and OversizedFolder: four different folders";
            // RFC 2177 asks clients to re-issue IDLE at least every 29 minutes; below 100 ms polling only loads the server.
            if (Imap.PollInterval < TimeSpan.FromMilliseconds(100) || Imap.PollInterval > TimeSpan.FromMinutes(29))
                yield return "Herald:Email:Bounces:Imap:PollInterval: between 00:00:00.100 and 00:29:00";
            foreach (var x in Imap.DisableExtensions.Where(x => x.ToUpperInvariant() is not ("IDLE" or "MOVE" or "UIDPLUS")))
                yield return $"Herald:Email:Bounces:Imap:DisableExtensions: '{x}' is not one of IDLE, MOVE, UIDPLUS";
        }
    }
}

/// <summary>The bounce mailbox Herald reads (<c>Herald:Email:Bounces:Imap</c>); no Host means no reader.</summary>
public sealed class ImapOptions
{
    public string? Host { get; set; }
    /// <summary>Default 993.</summary>
    public int Port { get; set; } = 993;
    /// <summary><c>starttls</c> or <c>tls</c> (default); <c>none</c> and <c>starttls-when-available</c> are refused, since the
    /// reader always logs in.</summary>
    public string Security { get; set; } = "tls";
    public string? Username { get; set; }
    public string? Password { get; set; }
    /// <summary>A PEM file with the CA (or the server's own self-signed certificate) to trust instead of the system's CA
    /// store; empty: the system's trust.</summary>
    public string? TrustedCertificate { get; set; }
    /// <summary>Folder read for new bounces. Default <c>INBOX</c>.</summary>
    public string Folder { get; set; } = "INBOX";
    /// <summary>Where handled messages are moved. Default <c>Herald/Processed</c>.</summary>
    public string ProcessedFolder { get; set; } = "Herald/Processed";
    /// <summary>Where messages that match no delivery or cannot be read are moved. Default <c>Herald/Unmatched</c>.</summary>
    public string UnmatchedFolder { get; set; } = "Herald/Unmatched";
    /// <summary>Where messages larger than <see cref="BounceOptions.MaxMessageBytes"/> are moved, unread. Default <c>Herald/Oversized</c>.</summary>
    public string OversizedFolder { get; set; } = "Herald/Oversized";
    /// <summary>How often to look when the server has no IDLE (and the longest IDLE before a re-check). Default 30 s.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>IMAP extensions not to use even when the server offers them: any of <c>IDLE</c> (poll instead),
    /// <c>MOVE</c> (COPY, \Deleted and EXPUNGE instead), <c>UIDPLUS</c>; for servers whose implementation is broken.</summary>
    public string[] DisableExtensions { get; set; } = [];
}

/// <summary>The values of <c>Security</c> and the rule that keeps passwords off the wire in clear.</summary>
public static class SecurityModes
{
    public static readonly string[] All = ["none", "starttls", "starttls-when-available", "tls"];

    /// <summary>Why <paramref name="security"/> would expose the password, or null when it cannot.</summary>
    public static string? Cleartext(string security, bool hasCredentials) => (hasCredentials, security) switch
    {
        (true, "none") => "'none' sends the password in clear text; use starttls or tls",
        // MailKit then logs in on the plain connection; an attacker on the path need only remove STARTTLS from the
        // EHLO/CAPABILITY answer (the downgrade RFC 3207 §6 and RFC 8314 §3 warn about).
        (true, "starttls-when-available") =>
            "'starttls-when-available' sends the password in clear text when the server offers no STARTTLS; use starttls or tls",
        _ => null,
    };
}

/// <summary>DKIM signing (<c>Herald:Email:Dkim</c>); no key file means unsigned.</summary>
public sealed class DkimOptions
{
    public string? Domain { get; set; }
    public string? Selector { get; set; }
    /// <summary>PEM file with the RSA private key.</summary>
    public string? PrivateKeyFile { get; set; }
}

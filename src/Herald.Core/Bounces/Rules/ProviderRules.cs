namespace Herald.Core.Bounces.Rules;

/// <summary>
/// What a remote host's own wording means, per provider. A row applies when the remote MTA (or the
/// diagnostic) names the provider; the first row whose reply-code class and phrase match decides.
/// Providers document their codes; each row cites the page.
/// </summary>
internal static class ProviderRules
{
    /// <param name="RemoteOnly">The row applies only when the remote MTA itself is the provider's, not when a relay's
    /// text or the recipient's domain names it: the wording is the provider's own verdict only from its own hosts.</param>
    private sealed record Row(string? ReplyClass, Phrase Phrase, BounceReason Reason, bool RemoteOnly = false);
    private sealed record Provider(string Name, string[] HostMarks, Row[] Rows, NumberedCodes? Codes = null);

    /// <summary>A provider's numbered error codes: a marker ("aup#") then a four-digit number, ranges → reason.</summary>
    private sealed record NumberedCodes(string Marker, (int From, int To, BounceReason Reason)[] Ranges)
    {
        public BounceReason? Find(string lowered)
        {
            int at = lowered.IndexOf(Marker, StringComparison.Ordinal);
            if (at < 0) return null;
            // "AUP#I-1310", "AUP#In-1310", "AUP#O1350": the first run of four digits shortly after the marker.
            int i = at + Marker.Length, end = Math.Min(lowered.Length, i + 8);
            while (i < end && !char.IsAsciiDigit(lowered[i])) i++;
            int n = 0, value = 0;
            while (i + n < lowered.Length && char.IsAsciiDigit(lowered[i + n])) { value = value * 10 + (lowered[i + n] - '0'); n++; }
            if (n != 4) return null;
            foreach (var (from, to, reason) in Ranges)
                if (value >= from && value <= to) return reason;
            return null;
        }
    }

    private static readonly Provider[] Providers =
    [
        // https://support.google.com/a/answer/3726730 (Gmail SMTP error reference)
        new("google", ["google.com", "googlemail.com", "gsmtp"],
        [
            new("5", "the email account that you tried to reach does not exist", BounceReason.UserUnknown),
            new("5", "the email account that you tried to reach is disabled", BounceReason.Suspend),
            new(null, "the recipient's inbox is out of storage space", BounceReason.MailboxFull),
            new(null, "over their storage quota", BounceReason.MailboxFull),
            // Before the rate-limit rows: 4.7.26-4.7.32 say "rate limited because … SPF/DKIM didn't pass / isn't aligned",
            // and 4.7.28 "an unusual rate of (unsolicited) mail … rate limited" is a block on the sending IP.
            new(null, "senders to authenticate", BounceReason.AuthFailure),
            new(null, "authentication didn't pass", BounceReason.AuthFailure),
            new(null, "aligned with either the authenticated spf or dkim", BounceReason.AuthFailure),
            new(null, "unusual rate of", BounceReason.Blocked),
            new(null, "likely unsolicited mail", BounceReason.SpamDetected),          // 550 5.7.1, before "has been blocked"
            new(null, "illegal attachment", BounceReason.PolicyViolation),            // 552 5.7.0 attachment guidelines
            new(null, "potential security issue", BounceReason.PolicyViolation),      // 552 5.7.0 content guidelines
            new(null, "not authorized to send email directly to our servers", BounceReason.NoRelaying), // 550 5.7.1: use your provider's relay
            new(null, "sending limit exceeded", BounceReason.Speeding),               // 550 5.4.5 daily sending limits
            new(null, "sending quota exceeded", BounceReason.Speeding),               // (not a mailbox quota)
            new(null, "has been rate limited", BounceReason.Speeding),
            new(null, "receiving mail at a rate that", BounceReason.Speeding),
            new(null, "very low reputation", BounceReason.BadReputation),
            new(null, "ptr record", BounceReason.RequirePtr),
            new(null, "not rfc 5322 compliant", BounceReason.NotCompliantRfc),
            new(null, "dmarc", BounceReason.AuthFailure),
            new(null, "unauthenticated email", BounceReason.AuthFailure),
            new(null, "suspicious due to the nature of the content", BounceReason.SpamDetected),
            new(null, "spf", BounceReason.AuthFailure),
            new(null, "has been blocked", BounceReason.Blocked),
            new(null, "too many recipients", BounceReason.TooManyConn),
            // "Your message exceeded Google's message size limits" is left to the general rules: 5.3.4 mesgtoobig, 5.2.3
            // exceedlimit; "Message exceeded 50 hops" (5.4.6) is a mail loop, not a size.
        ]),
        // Google Groups answers a post it refuses (no such group, or no permission to post) with a bounce
        // in the poster's language: the recipient domain is the only stable mark.
        new("googlegroups", ["@googlegroups.com"], [new(null, new Phrase(""), BounceReason.Rejected)]),
        // https://learn.microsoft.com/en-us/exchange/mail-flow-best-practices/non-delivery-reports-in-exchange-online/non-delivery-reports-in-exchange-online
        new("microsoft", ["outlook.com", "hotmail.com", "protection.outlook.com", "live.com"],
        [
            new(null, "resolver.adr.recipientnotfound", BounceReason.UserUnknown),
            new(null, "recipient not found by smtp address lookup", BounceReason.UserUnknown),
            new(null, "mailbox unavailable", BounceReason.UserUnknown),
            new(null, "does not pass dmarc", BounceReason.AuthFailure),
            new(null, "banned sending ip", BounceReason.Blocked),
            new(null, "is on our block list", BounceReason.Blocked),
            new(null, "not currently accepting mail from your ip", BounceReason.Blocked),
            new(null, "mailbox is full", BounceReason.MailboxFull),
            // 5.4.1 "Recipient address rejected: Access denied": directory-based edge blocking, the recipient does not exist.
            new(null, "recipient address rejected: access denied", BounceReason.UserUnknown),
        ]),
        // https://community.mimecast.com/s/article/Mimecast-SMTP-Error-Codes-842605754
        new("mimecast", ["mimecast"],
        [
            new(null, "host network not allowed", BounceReason.PolicyViolation),
            new(null, "rejected due to security policies", BounceReason.VirusDetected),
            new(null, "invalid recipient", BounceReason.UserUnknown),      // 550: the address does not exist at the domain
        ]),
        // https://www.godaddy.com/help/email-bounce-codes (IB codes)
        new("godaddy", ["secureserver.net", "x.co/rlbounce"],
        [
            new(null, "ib506", BounceReason.Rejected),           // From: domain is invalid
            new(null, "ib607", BounceReason.Speeding),           // too many recipients this hour
            new(null, "too many recipients this hour", BounceReason.Speeding),
            new(null, "spamhaus", BounceReason.Blocked),
        ]),
        // https://postmaster.comcast.net/smtp-error-codes.php: BL000000 "Comcast block for spam" and BL000001 "found on one
        // or more DNSBLs" are blocks on the sending IP, whatever "spam" the text holds.
        new("comcast", ["comcast.net"], [new(null, "bl00000", BounceReason.Blocked)]),
        // https://www.cox.com/residential/support/email-error-codes.html: 5.1.0 "sender rejected" is an IP/domain block
        new("cox", ["cox.net", "cox.com"], [new(null, "sender rejected", BounceReason.Blocked)]),
        // https://www.spectrum.net/support/internet/understanding-email-error-codes (Charter/Spectrum "AUP#" codes;
        // AUP#I… for mail coming in, AUP#O… going out, same numbers)
        new("spectrum", ["charter.net", "spectrum.net"], [], new NumberedCodes("aup#",
        [
            (1000, 1000, BounceReason.Blocked),          // sending IP blocked for suspicious activity
            (1010, 1080, BounceReason.Rejected),         // sending account blocked or limited
            (1090, 1090, BounceReason.SystemError),      // cannot be processed, try later
            (1100, 1150, BounceReason.RequirePtr),       // no full-circle (reverse) DNS for the sending IP
            (1160, 1190, BounceReason.PolicyViolation),  // against the domain's security policy
            (1200, 1250, BounceReason.Blocked),          // IP listed by Cloudmark CSI or Spamhaus
            (1260, 1260, BounceReason.NetworkError),     // IPv6 not accepted
            (1300, 1340, BounceReason.TooManyConn),      // too many (concurrent) connections
            (1350, 1490, BounceReason.Speeding),         // volume limits
            (1500, 1500, BounceReason.Rejected),         // sending as another address than signed in
            (1520, 1520, BounceReason.Rejected),         // sending as a domain not hosted
            (1530, 1530, BounceReason.MesgTooBig),       // larger than 20 MB
            (1540, 1550, BounceReason.Speeding),         // too many messages in a session / recipients in a message
            (1560, 1560, BounceReason.PolicyViolation),  // too many invalid recipients
            (1580, 1580, BounceReason.Speeding),         // too many recipients in a short time
        ])),
        // https://service.mail.qq.com/ (Tencent error help pages)
        new("tencent", ["qq.com"],
        [
            new(null, "frequency limited", BounceReason.TooManyConn),
            new(null, "dmarc", BounceReason.AuthFailure),
        ]),
        // https://senders.yahooinc.com/smtp-error-codes
        new("yahoo", ["yahoodns.net", "yahoo.com", "yahoo.co.jp", "aol.com"],
        [
            new(null, "user doesn't have a", BounceReason.UserUnknown),
            new(null, "mailbox not found", BounceReason.UserUnknown),
            new(null, "is no longer valid", BounceReason.Suspend),
            new(null, "this mailbox is disabled", BounceReason.Suspend),
            new(null, "not accepted for policy reasons", BounceReason.PolicyViolation),
            new(null, "requires all senders to authenticate", BounceReason.AuthFailure),
            new(null, "spamhaus", BounceReason.Blocked),
            new(null, "user is receiving mail too quickly", BounceReason.Speeding),
            new(null, "max message per connection reached", BounceReason.TooManyConn),
            // [TSS04] "temporarily deferred due to unexpected volume or user complaints": Yahoo's own hosts send it for
            // poor reputation and for missing SPF/DKIM/DMARC alike, so from them it says only that the sender was
            // refused; quoted by a relay, the general wording (badreputation) decides. [TSS09]/[TSS11] likewise.
            new(null, "temporarily deferred due to unexpected volume or user complaints", BounceReason.Rejected, RemoteOnly: true),
            new(null, "will be permanently deferred", BounceReason.Rejected, RemoteOnly: true),
            new(null, "ptr", BounceReason.RequirePtr),
            // AOL's connection and IP codes (postmaster.aol.com/error-codes, now Yahoo's): a block on the sending IP,
            // whatever the 5.7.1 around them says. "HVU:B1", "RLY:B1".."B3" refused, "DYN:T1" dynamic IP, "RTR:BL" listed.
            new(null, "hvu:b1", BounceReason.Blocked),
            new(null, "rly:b", BounceReason.Blocked),
            new(null, "dyn:t1", BounceReason.Blocked),
            new(null, "rtr:bl", BounceReason.Blocked),
        ]),
        // Facebook's mail servers put a response code in the diagnostic ("550 5.1.1 RCP-P2 http://www.facebook.com/postmaster/
        // response_codes?…"), documented at postmaster.facebook.com/response_codes; the code, not the 5.1.1 beside it, says why.
        new("facebook", ["facebook.com"],
        [
            new(null, "rcp-p1", BounceReason.UserUnknown),     // the attempted recipient address does not exist
            new(null, "rcp-p2", BounceReason.Filtered),        // the recipient's preferences prevent delivery
            new(null, "rcp-p3", BounceReason.Filtered),        // the recipient's privacy settings blocked delivery
            new(null, "rcp-t4", BounceReason.Suspend),         // the recipient address is currently deactivated
            new(null, "msg-p1", BounceReason.MesgTooBig),      // the message exceeds Facebook's maximum size
            new(null, "pol-p1", BounceReason.Blocked),         // the sending IP is listed on the Spamhaus PBL
            new(null, "pol-p2", BounceReason.Blocked),         // mail from the sending IP is no longer accepted
            new(null, "pol-p5", BounceReason.VirusDetected),   // the message contains a virus
        ]),
        // NetEase (163.com, 126.com, yeah.net) answers with documented two-part codes (help.163.com, SMTP error codes):
        // "DT:SPM" the content was judged spam, "MI:SPF" the sender's SPF check failed.
        new("netease", ["163.com", "126.com", "yeah.net", "netease.com"],
        [
            new(null, "dt:spm", BounceReason.SpamDetected),
            new(null, "mi:spf", BounceReason.AuthFailure),
        ]),
        // https://support.apple.com/en-us/102322 (iCloud Mail postmaster)
        new("apple", ["icloud.com", "me.com", "mac.com", "apple.com"],
        [
            new(null, "user does not exist", BounceReason.UserUnknown),
            new(null, "mailbox is disabled", BounceReason.Suspend),
            new(null, "blocked", BounceReason.Blocked),
        ]),
        // https://postmaster.orange.fr, Orange/Wanadoo OFR codes
        // Orange / La Poste (France) documented codes: OFRxxx / LPNxxx
        new("orange", ["orange.fr", "wanadoo.fr", "laposte", "lpn0", "ofr0", "ofr_"],
        [
            new(null, "lpn007_416", BounceReason.UserUnknown),   // invalid recipient
            new(null, "lpn007_426", BounceReason.Suspend),       // recipient account blocked
            new(null, "ofr006_102", BounceReason.Blocked),       // source IP blocked for spam
            new(null, "ofr005_505", BounceReason.SystemError),   // service refused, try later
            new(null, "lpn001_108", BounceReason.Undefined),
            new(null, "lpn006_107", BounceReason.Undefined),
            new(null, new Phrase("mail rejete", "506"), BounceReason.SpamDetected),
            new(null, new Phrase("service refused", "ofr_"), BounceReason.Blocked),
        ]),
    ];

    /// <summary>Every provider's host marks, searched for in one pass before any provider is looked at.</summary>
    private static readonly System.Buffers.SearchValues<string> AnyMark =
        System.Buffers.SearchValues.Create(Providers.SelectMany(p => p.HostMarks).Distinct().ToArray(), StringComparison.Ordinal);

    public static BounceReason? Match(RecipientFacts f, string lowered)
    {
        // Most diagnostics name no provider: then none of the rows below can apply.
        if (!lowered.AsSpan().ContainsAny(AnyMark) && !(f.RemoteMta ?? "").ToLowerInvariant().AsSpan().ContainsAny(AnyMark) &&
            !f.Address.ToLowerInvariant().AsSpan().ContainsAny(AnyMark)) return null;
        string host = (f.RemoteMta ?? "").ToLowerInvariant() + " @" + (f.Address.Split('@') is [_, var d] ? d.ToLowerInvariant() : "");
        string replyClass = f.ReplyCode is { Length: > 0 } rc ? rc[..1] : (f.Status is { Length: > 0 } st ? st[..1] : "");
        string remote = (f.RemoteMta ?? "").ToLowerInvariant();
        foreach (var p in Providers)
        {
            bool named = false, byRemote = false;
            foreach (var m in p.HostMarks)
            {
                if (remote.Contains(m, StringComparison.Ordinal)) byRemote = true;
                if (host.Contains(m, StringComparison.Ordinal) || lowered.Contains(m, StringComparison.Ordinal)) named = true;
            }
            if (!named) continue;
            if (p.Codes?.Find(lowered) is { } coded) return coded;
            foreach (var row in p.Rows)
                if ((row.ReplyClass is null || row.ReplyClass == replyClass) && (!row.RemoteOnly || byRemote) && row.Phrase.IsIn(lowered)) return row.Reason;
        }
        return null;
    }
}

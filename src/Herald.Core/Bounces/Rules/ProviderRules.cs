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
    /// <param name="Status">The row applies only to this enhanced status (NTT docomo answers every refusal "550 Unknown user";
    /// only the status and the stage its relay reports tell a missing mailbox from a filter).</param>
    /// <param name="Command">The row applies only to an answer to this SMTP command (RCPT, DATA, …).</param>
    /// <param name="OwnReport">The row applies only to the provider's own report (the report came from the provider's domain):
    /// its summary of its own delivery attempts, not a remote host's answer.</param>
    private sealed record Row(string? ReplyClass, Phrase Phrase, BounceReason Reason, bool RemoteOnly = false, string? Status = null, string? Command = null, bool OwnReport = false);
    private sealed record Provider(string Name, string[] HostMarks, Row[] Rows, NumberedCodes? Codes = null);

    /// <summary>A provider's numbered error codes: a marker ("aup#") then a number of <paramref name="Digits"/> digits,
    /// ranges → reason. With <paramref name="LastRun"/> the number is the last run of digits of the code word that follows
    /// the marker (Orange's "OFR006_102", "LPN007_426", "OFR_506", "LPN416": the last three digits say why).</summary>
    private sealed record NumberedCodes(string[] Markers, (int From, int To, BounceReason Reason)[] Ranges, int Digits = 4, bool LastRun = false)
    {
        public NumberedCodes(string marker, (int From, int To, BounceReason Reason)[] ranges) : this([marker], ranges) { }

        public BounceReason? Find(string lowered)
        {
            foreach (var marker in Markers)
            {
                for (int at = lowered.IndexOf(marker, StringComparison.Ordinal); at >= 0; at = lowered.IndexOf(marker, at + 1, StringComparison.Ordinal))
                {
                    // A marker inside a longer word ("aup#" is not, "ofr" in "goofrog" is) names no code.
                    if (at > 0 && char.IsAsciiLetter(lowered[at - 1])) continue;
                    if (Number(lowered, at + marker.Length) is not { } value) continue;
                    foreach (var (from, to, reason) in Ranges)
                        if (value >= from && value <= to) return reason;
                    return null;
                }
            }
            return null;
        }

        private int? Number(string lowered, int i)
        {
            int start, n;
            if (LastRun)
            {
                // The code word: letters, digits and '_' up to the next other character; its trailing digits, after a '_' or
                // straight after the marker ("lpn416"). A host name ending in digits ("lpn-prd-vrin416") is no code.
                int end = i;
                while (end < lowered.Length && (char.IsAsciiLetterOrDigit(lowered[end]) || lowered[end] == '_')) end++;
                n = 0;
                while (end - n - 1 >= i && char.IsAsciiDigit(lowered[end - n - 1])) n++;
                start = end - n;
                if (start > i && lowered[start - 1] != '_') return null;
            }
            else
            {
                // "AUP#I-1310", "AUP#In-1310", "AUP#O1350": the first run of digits shortly after the marker.
                int limit = Math.Min(lowered.Length, i + 8);
                while (i < limit && !char.IsAsciiDigit(lowered[i])) i++;
                start = i;
                n = 0;
                while (i + n < lowered.Length && char.IsAsciiDigit(lowered[i + n])) n++;
            }
            if (n != Digits) return null;
            int value = 0;
            for (int k = start; k < start + n; k++) value = value * 10 + (lowered[k] - '0');
            return value;
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
            // The rest of the same page ("Mimecast SMTP Error Codes"), one row per documented answer:
            new(null, "spf sender invalid - envelope rejected", BounceReason.AuthFailure),
            new(null, "dkim sender invalid - envelope rejected", BounceReason.AuthFailure),
            new(null, "dmarc sender invalid - envelope rejected", BounceReason.AuthFailure),
            new(null, "internal resources are temporarily unavailable", BounceReason.BadReputation), // greylisting or poor IP reputation
            new(null, "local ct ip reputation", BounceReason.BadReputation),
            new(null, "sender address blocked", BounceReason.Blocked),        // 421: a Blocked Senders policy on the IP
            new(null, "recipient temporarily unavailable", BounceReason.Blocked),
            new(null, "ip temporarily blacklisted", BounceReason.Blocked),
            new(null, "maximum email size exceeded", BounceReason.MesgTooBig),
            new(null, "mail loop detected", BounceReason.NetworkError),
            new(null, "open relay not allowed", BounceReason.NoRelaying),
            new(null, "account inbounds disabled", BounceReason.NotAccept),
            new(null, "anti-spoofing policy", BounceReason.PolicyViolation),
            new(null, "content examination policy", BounceReason.PolicyViolation),
            new(null, "envelope blocked", BounceReason.Rejected),             // Blocked Senders policy / managed senders entry
            new(null, "blocked senders", BounceReason.Rejected),              // header-based (manually) blocked senders
            new(null, "block policy for envelope from", BounceReason.Rejected),
            new(null, "incorrect authentication data", BounceReason.SecurityError),
            new(null, "this route requires", BounceReason.SecurityError),     // TLS, TLS 1.2 or high-strength ciphers required
            new(null, "configuration is invalid for this certificate", BounceReason.SecurityError),
            new(null, "unable to process connection at this time", BounceReason.SystemError),
            new(null, "message ended early", BounceReason.SystemError),
            new(null, "unable to process command", BounceReason.SystemError),
            new(null, "unable to process an email at this time", BounceReason.SystemError),
            new(null, "account service is temporarily unavailable", BounceReason.TooManyConn),
            new(null, "exceeding outbound thread limit", BounceReason.TooManyConn),
        ]),
        // https://www.godaddy.com/help/email-bounce-codes (IB codes)
        new("godaddy", ["secureserver.net", "x.co/rlbounce"],
        [
            new(null, "ib506", BounceReason.Rejected),           // From: domain is invalid
            new(null, "ib607", BounceReason.Speeding),           // too many recipients this hour
            new(null, "too many recipients this hour", BounceReason.Speeding),
            new(null, "spamhaus", BounceReason.Blocked),
            // The rest of GoDaddy's bounce-code page ("Fix rejected email with a bounce error"): the IB code, not the
            // 550 5.1.1 or 554 beside it, says why. Sender bounces:
            new(null, "ib401", BounceReason.SecurityError),      // authentication not allowed on inbound (IBSMTP) servers
            new(null, "ib501", BounceReason.NotCompliantRfc),    // blank From: address
            new(null, "ib502", BounceReason.NotCompliantRfc),    // an IP address as the From: address
            new(null, "ib508", BounceReason.AuthFailure),        // the sender's SPF record does not allow the sending server
            new(null, "ib108", BounceReason.RequirePtr),         // reverse DNS for the sending IP failed
            // content bounces
            new(null, "ib212", BounceReason.SpamDetected),       // content judged to be spam
            new(null, "ib705", BounceReason.VirusDetected),      // virus infected message
            // rate limits: recipients per message and sessions per IP are connection limits, the hourly ones volume limits
            new(null, "ib605", BounceReason.TooManyConn),
            new(null, "ib007", BounceReason.TooManyConn),
            new(null, "ib101", BounceReason.Speeding),           // queue under higher than normal volume
            new(null, "ib504", BounceReason.Speeding),           // too many messages this hour
            new(null, "ib510", BounceReason.Speeding),           // too many messages in one session
            // the sending IP blocked for spam or invalid recipients (an hour or a day), or listed
            new(null, "ib110", BounceReason.Blocked),
            new(null, "ib111", BounceReason.Blocked),
            new(null, "ib112", BounceReason.Blocked),
            new(null, "ib113", BounceReason.Blocked),
            new(null, "ib103", BounceReason.BadReputation),      // poor reputation on Cloudmark Sender Intelligence
            new(null, "ib104", BounceReason.Blocked),            // Spamhaus SBL
            new(null, "ib105", BounceReason.Blocked),            // Spamhaus XBL
            new(null, "ib106", BounceReason.Blocked),            // Spamhaus PBL
            // The page's bounces without a code (GoDaddy's own relay, smtp.secureserver.net, giving up on the recipient):
            new(null, "rbl reject", BounceReason.Blocked),
            new(null, "account storage limit", BounceReason.MailboxFull),
            new(null, "message rejected for spam or virus content", BounceReason.SpamDetected),
            new(null, "account disabled", BounceReason.Suspend),
            new(null, "message is looping", BounceReason.SystemError),
            new(null, "recipient not found", BounceReason.UserUnknown),
            new(null, "account does not exist", BounceReason.UserUnknown),
            new(null, "has been in the queue too long", BounceReason.Expired),
            new(null, "delivery timeout", BounceReason.Expired),
        ]),
        // https://postmaster.comcast.net/smtp-error-codes.php: BL000000 "Comcast block for spam" and BL000001 "found on one
        // or more DNSBLs" are blocks on the sending IP, whatever "spam" the text holds.
        new("comcast", ["comcast.net"], [new(null, "bl00000", BounceReason.Blocked)]),
        // https://www.cox.com/residential/support/email-error-codes.html (Cox "Email error codes")
        // Its codes come after "AUP#" ("550 5.1.0 … sender rejected. … AUP#CDRBL") and decide before the wording around them.
        new("cox", ["cox.net", "cox.com"],
        [
            new(null, "aup#cxbl", BounceReason.Blocked),         // the sending IP blocked for spam-like behaviour
            new(null, "aup#cdrbl", BounceReason.Blocked),        // the same, for at most 24 hours
            new(null, "aup#cxdns", BounceReason.RequirePtr),     // reverse DNS of the connecting IP fails
            new(null, "aup#cxsndr", BounceReason.AuthFailure),   // the sender's domain fails SPF/DKIM
            new(null, "aup#cxsmtp", BounceReason.Rejected),      // SMTP violation: not a legitimate sender
            new(null, "aup#cxcnct", BounceReason.TooManyConn),   // too many concurrent connections from the IP
            new(null, "aup#cxmxrt", BounceReason.TooManyConn),   // too many recipients, wait before sending more
            new(null, "aup#cxthrt", BounceReason.SecurityError), // sending limited for suspicious account activity
            new(null, "aup#cxmj", BounceReason.SecurityError),   // the same on the primary Cox account
            new(null, "aup#ipbl", BounceReason.Blocked),         // IPBLnnnn: the IP on Spamhaus / Return Path / ivmSIP / CSI lists
            new(null, "aup#urlbl", BounceReason.SpamDetected),   // URLBLnnn: a URL in the body on SURBL / DBL / ivmURI
            // "sender rejected" alone: Cox requires the sender's domain to resolve to an MX or A record (the page's 5.1.0).
            new(null, "sender rejected", BounceReason.Rejected),
            new(null, "cox too many bad commands from", BounceReason.Blocked),
            new(null, "too many invalid recipients", BounceReason.Blocked),
            new(null, "dns check failure - try again later", BounceReason.RequirePtr),
            new(null, "rejected - no rdns", BounceReason.RequirePtr),
            new(null, "esmtp no data before greeting", BounceReason.PolicyViolation),
            new(null, "attachment extension is forbidden", BounceReason.PolicyViolation),
            new(null, "esmtp server temporarily not available", BounceReason.SystemError),
            new(null, "too many sessions from", BounceReason.TooManyConn),
            new(null, "requested action aborted: try again later", BounceReason.TooManyConn),
            new(null, "message threshold exceeded", BounceReason.TooManyConn),
            new(null, "recipient rejected", BounceReason.UserUnknown),   // not a valid Cox Email account
        ]),
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
            // The help pages under service.mail.qq.com/detail/122 give one answer each:
            new(null, "spf check failed", BounceReason.AuthFailure),
            new(null, "suspected bounce attacks", BounceReason.Blocked),
            new(null, "suspected spam ip", BounceReason.Blocked),       // before "suspected spam" (the sender)
            new(null, "connection denied", BounceReason.Blocked),
            new(null, "message too large", BounceReason.MesgTooBig),
            new(null, "suspected spam", BounceReason.Rejected),         // the sending account is suspected of spam
            new(null, "mail is rejected by recipients", BounceReason.Rejected),
            new(null, "spam is embedded in the email", BounceReason.SpamDetected),
            new(null, "mail content denied", BounceReason.SpamDetected),
            new(null, "is a deactivated mailbox", BounceReason.Suspend),
            new(null, "bad address syntax", BounceReason.SyntaxError),
            new(null, "mailbox not found", BounceReason.UserUnknown),
            // "550 Mailbox unavailable or access denied [… IP: …]": QQ's throttle on the sending IP, like the "frequency
            // limited" answers (detail/122/166), not a missing mailbox.
            new(null, "mailbox unavailable or access denied", BounceReason.TooManyConn),
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
            // More of Yahoo's SMTP error codes page: an RFC 5321 From domain that does not resolve, headers it cannot read.
            new(null, "unresolvable rfc.5321", BounceReason.Rejected),
            new(null, "headers are not rfc compliant", BounceReason.NotCompliantRfc),
            new(null, "syntax error in parameters or arguments", BounceReason.SyntaxError),
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
            // Before the bare "blocked" below: "[HME1] This message was blocked for failing both SPF and DKIM authentication
            // checks" and "rejected due to <domain>'s DMARC policy" are authentication failures.
            new(null, "failing both spf and dkim", BounceReason.AuthFailure),
            new(null, "s dmarc policy", BounceReason.AuthFailure),
            new(null, "blocked", BounceReason.Blocked),
            new(null, "listing in spamhaus", BounceReason.Blocked),      // "Mail from IP … was rejected due to listing in Spamhaus SBL"
            new(null, "domain present in the spamhaus", BounceReason.Blocked), // a domain in the message on Spamhaus DBL
            new(null, "not accepting connections", BounceReason.Blocked),
            new(null, "recipient no longer on server", BounceReason.HasMoved), // 550 5.1.6
            new(null, "user is over quota", BounceReason.MailboxFull),
            new(null, "relay access denied", BounceReason.NoRelaying),
            new(null, "host/domain does not accept mail", BounceReason.NotAccept),
            new(null, "due to local policy", BounceReason.PolicyViolation), // "[CS01] Message rejected due to local policy"
            new(null, "sender address rejected", BounceReason.Rejected),
            new(null, "due to excessive volume", BounceReason.Speeding),   // "421 4.7.1 Messages to … deferred due to excessive volume"
            new(null, "inactive email address", BounceReason.UserUnknown),
            new(null, "unknown or illegal alias", BounceReason.UserUnknown),
        ]),
        // https://postmaster.orange.fr, Orange/Wanadoo OFR codes
        // Orange / La Poste (France) documented codes: OFRxxx / LPNxxx
        // The code's last three digits say why, whichever prefix (OFRnnn_, LPNnnn_, LPNAAA_, OUK_) and service sends it.
        new("orange", ["orange.fr", "wanadoo.fr", "laposte", "lpn0", "ofr0", "ofr_", "lpn1", "lpn4", "lpnaaa", "ouk_", "mwinf"],
        [
            new(null, "lpn007_416", BounceReason.UserUnknown),   // invalid recipient
            new(null, "lpn007_426", BounceReason.Suspend),       // recipient account blocked
            new(null, "ofr006_102", BounceReason.Blocked),       // source IP blocked for spam
            new(null, "ofr005_505", BounceReason.SystemError),   // service refused, try later
            new(null, "lpn001_108", BounceReason.Undefined),
            new(null, "lpn006_107", BounceReason.Undefined),
            new(null, new Phrase("mail rejete", "506"), BounceReason.SpamDetected),
            new(null, new Phrase("service refused", "ofr_"), BounceReason.Blocked),
            // Orange's bilingual "Emetteur invalide … SPF check failed, please verify the SPF/DNS configuration" (no code)
            new(null, "spf/dns de votre nom de domaine", BounceReason.AuthFailure),
        ], new NumberedCodes(["ofr", "lpn", "ouk"],
        [
            (101, 103, BounceReason.Blocked),        // 101 La Poste's Spamhaus block, 102 source IP blocked for spam, 103 service refused
            (104, 104, BounceReason.TooManyConn),    // too many connections, slow down
            (105, 109, BounceReason.Undefined),      // "Veuillez essayer plus tard": nothing said
            (201, 201, BounceReason.Undefined),
            (305, 305, BounceReason.SecurityError),  // invalid authentication code
            (401, 401, BounceReason.AuthFailure),    // SPF: not allowed to send mail
            (402, 402, BounceReason.SecurityError),  // authentication required
            (403, 405, BounceReason.Rejected),       // Emetteur invalide / Invalid sender
            (415, 415, BounceReason.Rejected),
            (416, 416, BounceReason.UserUnknown),    // invalid recipient
            (417, 417, BounceReason.MailboxFull),    // recipient mailbox full
            (418, 418, BounceReason.UserUnknown),
            (420, 420, BounceReason.Suspend),        // archived recipient
            (421, 421, BounceReason.Rejected),       // mail from not owned by user
            (423, 424, BounceReason.Undefined),
            (426, 426, BounceReason.Suspend),        // the recipient's account is blocked
            (505, 505, BounceReason.SystemError),    // service refused, try later (421 4.2.0)
            (506, 506, BounceReason.SpamDetected),   // Mail rejete. Mail rejected.
            (510, 510, BounceReason.Blocked),
            (513, 513, BounceReason.Undefined),
            (514, 514, BounceReason.MesgTooBig),     // Taille limite du message atteinte
            (517, 517, BounceReason.AuthFailure),    // DMARC verification failed
            (630, 630, BounceReason.PolicyViolation),// Client host rejected
            (999, 999, BounceReason.Blocked),        // service refused
        ], Digits: 3, LastRun: true)),
        // i.ua (mx*.email.ua) links every refusal to its explanation page, mail.i.ua/err/N/: the number says why.
        new("iua", ["email.ua", "i.ua/err/", "@i.ua"],
        [
            new(null, "i.ua/err/10", BounceReason.Filtered),     // not in the recipient's list of allowed senders
            new(null, "i.ua/err/1/", BounceReason.NoRelaying),   // SMTP as a mail gate is forbidden
            new(null, "i.ua/err/2/", BounceReason.UserUnknown),  // user not found
            new(null, "i.ua/err/3/", BounceReason.Suspend),      // mailbox unused for more than three months ("frozen")
            new(null, "i.ua/err/4/", BounceReason.MailboxFull),
            new(null, "i.ua/err/5/", BounceReason.TooManyConn),  // sending limit exceeded
            new(null, "i.ua/err/6/", BounceReason.NoRelaying),   // use your own provider's SMTP
            new(null, "i.ua/err/7/", BounceReason.Blocked),      // bad HELO/EHLO
            new(null, "i.ua/err/8/", BounceReason.Rejected),     // the sender address could not be verified
            new(null, "i.ua/err/9/", BounceReason.Blocked),      // the sending IP is blacklisted
        ]),
        // au (KDDI; msmx.au.com, lsean.ezweb.ne.jp) says "550 <address>: User unknown" for a mailbox that does not exist and
        // "550 : User unknown", with no address, when the recipient's own domain filter refused the sender.
        new("kddi", ["msmx.au.com", "ezweb.ne.jp", "@au.com"],
        [
            new(null, "550 : user unknown", BounceReason.Filtered),
            new(null, ">: user unknown", BounceReason.UserUnknown),
        ]),
        // NTT docomo (mfsmax.docomo.ne.jp) answers "550 Unknown user <address>" to every refusal, at RCPT for a missing
        // mailbox and after DATA for the recipient's reception settings; the relay's status and stage tell them apart.
        new("docomo", ["docomo.ne.jp"],
        [
            new(null, "unknown user", BounceReason.UserUnknown, Status: "5.1.1"),
            new(null, "unknown user", BounceReason.Filtered, Status: "5.2.0"),
            new(null, "unknown user", BounceReason.UserUnknown, Status: "5.0.0", Command: "RCPT"),
            new(null, "unknown user", BounceReason.Rejected, Status: "5.0.0", Command: "DATA"),
            new(null, "552 too much mail data", BounceReason.MailboxFull),
            new(null, "552 too many recipients", BounceReason.TooManyConn),
        ]),
        // Zoho Mail (mx.zoho.com, smtpin.zoho.com, zoho.eu): its answers as its help pages and the SMTP Field Manual give them.
        new("zoho", ["zoho.com", "zoho.eu", "zoho.in", "zohomail"],
        [
            new(null, "email rejected per dmarc policy", BounceReason.AuthFailure),
            new(null, "greylisted, try again after some time", BounceReason.Blocked),
            new(null, "reason: email flagged as spam", BounceReason.Rejected),   // the sender flagged, refused at RCPT
            new(null, "mail rejected by destination domain", BounceReason.Rejected),
            new(null, "email policy violation detected", BounceReason.PolicyViolation),
            new(null, "mailbox delivery restricted by policy error", BounceReason.PolicyViolation),
            new(null, "temporary system error", BounceReason.SystemError),
            new(null, "user does not exist", BounceReason.UserUnknown),
            new(null, "detected by zoho mail", BounceReason.VirusDetected),      // "552 5.7.1 virus … detected by Zoho Mail"
            // Zoho's own failure notice is final ("This is a permanent error"): a 4yz it ends with ("ResponseCode 421, , Host not
            // reachable.", "ERROR_CODE :421, …") is the last attempt's answer before Zoho gave up retrying, so the message expired.
            new("4", "not reachable", BounceReason.Expired, OwnReport: true),
        ]),
        // T-Online (mx*.t-online.de), postmaster.t-online.de "IP troubleshooting": "554 IP=… - A problem occurred. (Ask your
        // postmaster … tosa@rx.t-online.de …) (BL)" is the sending IP blacklisted by its abuse team; "(NOWL)" with
        // "None/bad reputation" (an IP not yet known) is left to the general reputation wording.
        new("t-online", ["t-online.de"], [new(null, "(bl)", BounceReason.Blocked)]),
    ];

    /// <summary>Every provider's host marks, searched for in one pass before any provider is looked at.</summary>
    private static readonly System.Buffers.SearchValues<string> AnyMark =
        System.Buffers.SearchValues.Create(Providers.SelectMany(p => p.HostMarks).Distinct().ToArray(), StringComparison.Ordinal);

    /// <summary>
    /// Whether <paramref name="text"/> names the host mark: found where it starts a word (at the start, or after a
    /// character that is not a letter or digit), so that "me.com" is not found in acme.com nor "live.com" in olive.com.
    /// </summary>
    private static bool Names(string text, string mark)
    {
        for (int at = text.IndexOf(mark, StringComparison.Ordinal); at >= 0; at = text.IndexOf(mark, at + 1, StringComparison.Ordinal))
            if (at == 0 || !char.IsLetterOrDigit(text[at - 1]) || !char.IsLetterOrDigit(mark[0])) return true;
        return false;
    }

    public static BounceReason? Match(RecipientFacts f, string lowered)
    {
        // Most diagnostics name no provider: then none of the rows below can apply.
        if (!lowered.AsSpan().ContainsAny(AnyMark) && !(f.RemoteMta ?? "").ToLowerInvariant().AsSpan().ContainsAny(AnyMark) &&
            !f.Address.ToLowerInvariant().AsSpan().ContainsAny(AnyMark) && !(f.Notifier ?? "").AsSpan().ContainsAny(AnyMark)) return null;
        string host = (f.RemoteMta ?? "").ToLowerInvariant() + " @" + (f.Address.Split('@') is [_, var d] ? d.ToLowerInvariant() : "");
        string replyClass = f.ReplyCode is { Length: > 0 } rc ? rc[..1] : (f.Status is { Length: > 0 } st ? st[..1] : "");
        string remote = (f.RemoteMta ?? "").ToLowerInvariant();
        foreach (var p in Providers)
        {
            bool named = false, byRemote = false, own = false;
            foreach (var m in p.HostMarks)
            {
                if (Names(remote, m)) byRemote = true;
                if (Names(host, m) || Names(lowered, m)) named = true;
                if (f.Notifier is { } n && Names(n, m)) own = true;
            }
            if (!named && !own) continue;
            if (named && p.Codes?.Find(lowered) is { } coded) return coded;
            foreach (var row in p.Rows)
                // A row's wording never makes an address dead under an x.7 status (a block or policy refusal says why already).
                if ((row.OwnReport ? own : named) && !(HardSoftPolicy.DeadAddress.ContainsKey(row.Reason) && f.Status is [_, _, '7', ..]) && (row.ReplyClass is null || row.ReplyClass == replyClass) && (!row.RemoteOnly || byRemote) &&
                    (row.Status is null || row.Status == f.Status) && (row.Command is null || row.Command == f.Command) && row.Phrase.IsIn(lowered))
                    return row.Reason;
        }
        return null;
    }
}

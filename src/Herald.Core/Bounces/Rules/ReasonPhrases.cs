namespace Herald.Core.Bounces.Rules;

/// <summary>
/// Wording per reason, as real MTAs and providers write it (lowercase). Each list is the evidence
/// for one reason; which list is tried first is decided in <see cref="ReasonOrder"/>, not here.
/// To add a rule: append the server's wording to the right list with a comment naming the source.
/// </summary>
internal static class ReasonPhrases
{
    public static readonly Dictionary<BounceReason, Phrase[]> Table = new()
    {
        [BounceReason.MailboxFull] =
        [
            "mailbox full", "mailbox is full", "mailbox quota", "mailbox over quota", "over quota", "quota exceeded",
            "exceeded storage allocation", "disk quota", "diskspace quota", "full mailbox", "mailfolder is full",
            "not enough storage", "not enough disk space", "insufficient disk space", "no space left on device",
            "mailbox size limit exceeded", "mailbox has exceeded", "exceeded the local limit", "exceeding its mailbox quota",
            "user has too many messages", "the user's space has been used up", "boite du destinataire pleine",
            "too much mail data", // NTT docomo
            "would exceed maximum allowed storage", "mailbox exceeds allowed size", "quota violation", "is over quota", "has exceeded quota",
            "inbox is out of storage space",           // Google SMTP error reference 452 4.2.2 / 552 5.2.2, also quoted by relays
            // Localized server messages ("mailbox full"): French, Spanish, German-language MTAs answer in their own language.
            "boîte aux lettres pleine", "boite aux lettres pleine", "buzón lleno", "buzon lleno", "postfach voll", "postfach ist voll",
        ],
        [BounceReason.MesgTooBig] =
        [
            "message too big", "message too large", "message size exceeds", "message is too big", "message is too large",
            "size limit exceeded", "exceeds size limit", "exceeds the maximum message size", 
            "mail size limit", "message exceeded maximum size", "size of the message exceeds", "taille limite du message atteinte",
            // Google SMTP error reference 552 5.3.4 "Your message exceeded Google's message size limits" / "exceeds Google's message
            // size limit of …"; under 5.2.3 the probe leaves it to exceedlimit.
            "message size limit",
            "message size exceeds my databytes limit", // qmail-smtpd (#5.3.4)
        ],
        [BounceReason.ExceedLimit] = ["message length exceeds administrative limit", "message header size, or recipient list, exceeds", "exceeds size limit"],
        [BounceReason.Suspend] =
        [
            "is currently suspended", "has been suspended", "account has been disabled", "account is disabled", "mailbox disabled",
            "mailbox is disabled", "this mailbox is disabled", "inactive account", "account inactive", "invalid/inactive user",
            "is a deactivated mailbox", "user suspended", "mailbox currently suspended", "temporarily inactive",
            "account that you tried to reach is disabled", "mailbox is frozen", "recipient suspend the service",
            "user or domain is disabled", new("account", " is inactive"), "boite du destinataire archivee", "archived recipient", "user is terminated",
            "account is locked", "temporary locked",
            "mailaddress is administrativly disabled", // qmail-ldap: the account's LDAP accountStatus is "disabled" (its own spelling)
            "account is temporarily limited",  // au EZweb "The user(s) account is temporarily limited." (carrier restriction)
        ],
        [BounceReason.HasMoved] = [" has been replaced by ", "address has moved", "mailbox has moved", "no longer at this address"],
        [BounceReason.NoRelaying] =
        [
            "relay access denied", "relaying denied", "relay denied", "relay not permitted", "relaying not permitted", "no relaying",
            "unable to relay", "not allowed to relay", "not permitted to relay", "we do not relay", "as a relay", "not a gateway",
            "this system is not configured to relay", "that domain isn't in my list of allowed rcpthost", "we don't handle mail for",
            "relaying mail to ", "not an open relay", "email address is not verified", "specified domain is not allowed", "insecure mail relay",
            "mail relay denied",                 // Google Workspace SMTP relay 550 5.7.0 "Mail relay denied <ip>"
            "invalid credentials for relay",     // Google Workspace SMTP relay 550 5.7.1
            "tenantattribution; relay access denied", // Exchange Online 5.7.64
            "due to the following smtp relay error", // au by KDDI "Could not be delivered to: <…> Due to the following SMTP relay error"
        ],
        [BounceReason.AuthFailure] =
        [
            "dmarc policy", "dmarc check failed", "fails to pass spf", "does not have authentication information", "dmarc verification", "does not pass dmarc", "dmarc reject", "spf check: fail", "spf validation",
            "sender policy framework", "bad spf records", "please inspect your spf settings", "spf fail", "failed spf",
            "unauthenticated email", "dkim signature", "authentication checks failed", "domain authentication fail",
            new("is not allowed to send from <", "spf record"),
            // Google SMTP error reference 4.7.26-4.7.32 / 5.7.26-5.7.32, Yahoo 550 5.7.9 ("Yahoo requires all senders to
            // authenticate with either SPF or DKIM"): the bulk-sender authentication rules, also quoted by relays.
            "senders to authenticate", "sender is unauthenticated", "authentication didn't pass", "dkim does not pass", "spf does not pass",
            "aligned with either the authenticated spf or dkim", "have a dmarc record", "has an spf record with a hard fail",
            "fails to pass spf", "fails to pass authentication checks",
            "sender policy framework violation",  // Exchange Online 5.7.23
            "does not pass dmarc",                // Exchange Online 5.7.509 "does not pass DMARC verification"
            "doesn't meet the required authentication level", // Exchange Online 5.7.515
            "must pass either spf or dkim",       // Exchange Online 4.7.26 over IPv6
        ],
        [BounceReason.UserUnknown] =
        [
            "user unknown", "unknown user", "no such user", "user not found", "user does not exist", "user doesn't exist",
            "unknown recipient", "recipient unknown", "no such recipient", "invalid recipient", "recipient not found",
            "recipient does not exist", "recipient address rejected: user", "mailbox not found", "mailbox does not exist",
            "no such mailbox", "mailbox not present", "invalid mailbox",
            "unknown mailbox", "address does not exist", "address unknown", "address not present", "no mailbox here",
            "no mailbox by that name", "is not a valid mailbox", "not a valid recipient", "not a known user", "bad destination mailbox",
            "no such person", "no one at this address", "does not exist here", "not listed in domino directory",
            "account does not exist", "account that you tried to reach does not exist", "email address could not be found",
            "address couldn't be found", "invalid address", "utilisateur inconnu", "no existe", "nessun utente",
            "recipient address rejected.", "recipient address rejected: access denied", "badrcptto", "not in my validrcptto", "this user doesn't have a", "user not known",
            "no mailbox found", "mailbox name not allowed", "is not an active address", "invalid final delivery userid",
            "resolver.adr.recipientnotfound", "resolver.adr.recipient notfound", "destination addresses were unknown",
            "unknown local part", "unknown local-part", "no account by that name", "recipient not ok", "user not exist",
            "this address no longer accepts mail", "not a local address",
            "unknown or illegal alias", // Sun/Oracle Messaging Server address rewriting found no such alias
            // Localized server messages ("unknown recipient / user"): French, Spanish, German (T-Online's "Benutzer unbekannt").
            "destinataire inconnu", "usuario desconocido", "usuario no existe", "benutzer unbekannt", "empfänger unbekannt",
            "unknown recipient or mailbox unavailable", // Exchange Online 5.1.351 "Remote server returned unknown recipient or mailbox unavailable"
            new("user ", " does not exist"), new("user ", " not found"), new("user (", ") unknown"), new("mailbox ", " does not exist"),
            new("recipient ", " was not found"), new("unknown e", "mail address"), new("no ", " in name directory"), new("non", "existent user"),
        ],
        [BounceReason.Filtered] =
        [
            "refuse to receive", "refuses to receive", "user reject", "message filtered", "due to user rules",
            "only accepting mail from specific", "is not accepting any mail", "blocked by the recipient", "recipient preferences",
            "resolver.rst.notauthorized", "this account is protected by", "has restricted sms e-mail", "bounced address",
            "due to extended inactivity",
            "cannot route mail to user",         // Domino router: the user's mail file or forwarding rule refuses it
        ],
        [BounceReason.RequirePtr] =
        [
            "ptr record", "reverse dns validation", "reverse dns failed", "reverse dns required", "fix reverse dns",
            "reverse dns lookup", "with no reverse dns", "invalid rdns", "cannot find your hostname",
            "cannot find your reverse hostname", // Postfix reject_unknown_reverse_client_hostname
            "must have a reverse dns record",    // Exchange Online 5.7.25 over IPv6
            "regarding ptr records",             // Google 550 5.7.1 "does not meet IPv6 sending guidelines regarding PTR records"
            "cannot resolve your address", "ip name lookup failed", // (were swallowed by the comment above)
            "reverse lookup", "unresolvable relay host name", "dns ptr", "hostname does not resolve",
            "corresponding forward dns entry does not point to the sending ip", new("service permits ", " unverifyable sending ips"), new("domain ", " mismatches client ip"),
        ],
        [BounceReason.NotCompliantRfc] = ["not rfc 5322 compliant", "rfcmessagenoncompliant", "not compliant with rfc", "rfc 5322", "rfc5322", new("multiple", "addresses in from:")],
        // Not a bare "reputation": a DNSBL named after it ("blocked using Barracuda Reputation") is a block list like any other.
        [BounceReason.BadReputation] = ["low reputation", "poor reputation", "bad reputation", "ip reputation", "reputation problems", "sender reputation", "none/bad", "temporarily deferred due to unexpected volume or user complaints"],
        [BounceReason.Rejected] =
        [
            "sender rejected", "sender address rejected", "sender was rejected", "sender verify failed", "sender not pre-approved",
            "invalid sender", "sender is spammer", "sender is in my black list", "sender address has been blacklisted",
            "domain of sender address", "bogus mail from", "null sender is not allowed", "empty envelope senders not allowed",
            "sender domain is empty", "unroutable sender", "returned mail not accepted here", "mail from not owned by user",
            "administrative prohibition", "from: domain is invalid", "recipient addresses rejected : access denied", "access denied (in reply to mail from command)", "batv", "emetteur invalide",
            "this server does not accept mail from", "not a member of this mailing list", "sending to/from an address that has been blacklisted", "fully qualified email address required",
            "your email address has been blacklisted", "not allowed to post to this mailing list", "spam reporting address",
            "denied [bouncedeny]", "unsigned dsn",
            "sender denied",                         // Exchange 5.1.0 "Sender denied"
            "bad outbound sender",                   // Exchange Online 5.1.8 "Access denied, bad outbound sender"
            "sender was not authenticated",          // Exchange Online 5.7.12, 5.7.134-136 (recipient refuses outside senders)
            "sender not authenticated for",          // Exchange Online 5.7.133 "sender not authenticated for group"
            "not in allowed-senders list",           // Exchange Online 5.7.124 "Sender not in allowed-senders list"
            "spam abuse detected",                   // Exchange Online 5.7.501-503: the sending account is banned
            "sending from unregistered domains",     // Exchange Online 5.7.750
            "badmailfrom",                           // qmail-smtpd "your envelope sender is in my badmailfrom list (#5.7.1)"
            "envelope sender has been denied",       // qmail/netqmail rcpt checks
            "mail sending denied",                   // Google Workspace SMTP relay 550 5.7.0 (sender not registered)
        ],
        [BounceReason.HostUnknown] =
        [
            "host unknown", "unknown host", "domain does not exist", "no such domain", "domain not found", "domain name not found",
            "host or domain name not found", "unrouteable address", "name or service not known", "unknown domain", "domain must exist", "domain is not reachable",
            "host not found", "unrouteable mail domain", "the account or domain may not exist",
            "mail domain mentioned in email address is unknown", new("553 ", " does not exist"),
            "all relevant mx records point to non-existent hosts", // Exim dnslookup router: the domain's MX names resolve to nothing
            "illegal host/domain name found",                      // Sun/Oracle Messaging Server "Reason:" line
            "able to find the recipient domain",                   // Google 553 5.1.2 "We weren't able to find the recipient domain"
            "smtpsend.dns.nonexistentdomain",                      // Exchange 5.4.4 "SMTPSEND.DNS.NonExistentDomain; nonexistent domain"
            "remote domain doesnt exist", "remote domain doesn't exist", // au by KDDI "As the remote domain doesnt exist." (its spelling)
            new("dns lookup failure: host ", " not found"),         // DragonFly Mail Agent net.c "DNS lookup failure: host %s not found"
        ],
        [BounceReason.SpamDetected] =
        [
            "spam ", " spam", "spam.", "spam,", "(spam)", "spam-like", "unsolicited", "bulk mail", "bulk email", "content filter rejection", "message content rejected",
            "mail content denied", "rejecting banned content", "unacceptable content",
            "high probability of", "uribl", "recurrent pattern detection", "may consider spam",
            new("mail rejete. mail rejected.", "506"), new("this message scored ", " points"),
            "content filter agent quarantined",  // Exchange 5.2.1 "Content Filter agent quarantined this message"
        ],
        [BounceReason.Speeding] =
        [
            "please try again slower", "temporarily rate limited", "receiving mail at a rate that prevents", "rate limit", "too fast",
            "receiving mail too quickly",        // Google 450 4.2.1 and Yahoo 450 "User is receiving mail too quickly"
            "sending limit exceeded", "relay limit exceeded", // Google 550 5.4.5 "Daily user sending limit exceeded", SMTP relay limits
        ],
        [BounceReason.TooManyConn] =
        [
            "too many connections", "too many concurrent", "too many smtp sessions", "connection rate limit", "connection limit",
            "too many errors from your ip", "frequency limited", "too many recipients", "trop de connexions", "max emails per hour",
            "throttling failure", "numerous attempts to deliver this message",
            "too many open connections",         // Sendmail 421 4.3.2 (MaxDaemonChildren / ConnectionRateThrottle)
            "maximum number of connections",     // Exchange Online 451 4.7.652 "has exceeded the maximum number of connections"
            "max message per connection",        // Yahoo 421 "Max message per connection reached"
        ],
        [BounceReason.Blocked] =
        [
            "blacklisted", "blocklisted", "black list", "block list", "blocked using", "listed in", "rbl", "dnsbl", "spamhaus",
            "spamcop", "barracudacentral", "ip address is listed", "bad sender ip", "sender ip address rejected", "your ip",
            "client host rejected", "helo command rejected", "please use the smtp server of your isp", "dynamic ip", "dynamic/zombied",
            "not currently accepting mail from your ip", "banned sending ip", "access denied for ip", "connection refused",
            "connection dropped", "connection reset", "go away", "no access from mail server", "hosts with dynamic ip",
            "rejected due to ip", " ip is in", "was blocked by", // " ip": not "membership is inactive" "is blocked", "blocked by", "not allowed to connect",
            "esmtp not accepting connections", "service refused", "temporarily deferred due to user complaints",
            "smtp error from remote mail server after initial connection", // Exim: refused before any command
            "part of their network is on our block list", "you are sending spam", "but my name was rejected",
            "refused to talk to me", "service not available, closing transmission channel", new("messages from ", "weren't sent"),
            "blocked - see",                     // Proofpoint "554 Blocked - see https://ipcheck.proofpoint.com/…", iCloud "550 5.7.0 Blocked - see …"
            "bad helo",                          // Exchange Online 5.7.506 "Access denied, Bad HELO"
            "access denied, banned sender",      // Exchange Online 5.7.511 (the sending IP is banned)
            "traffic not accepted from this ip", // Exchange Online 5.7.700-749
            "does not accept email over ipv6",   // Exchange Online 5.7.510
            "ip not in whitelist",               // Google 421 4.7.0 "IP not in whitelist for RCPT domain"
            "unusual rate of unsolicited mail", "unusual rate of mail", // Google 421 4.7.28 / 550 5.7.28: the sending IP is blocked
        ],
        [BounceReason.VirusDetected] = ["virus", "malware", "infected", "an illegal attachment", "executable files are not allowed"],
        [BounceReason.PolicyViolation] =
        [
            "local policy violation", "policy reasons", "denied by policy", "rejected by policy", "local policy", "organizational settings", "organization policy",
            "closed mailing list", "members-only list", "not subscribed to this group", "header error", "header are not accepted",
            "protocol violation", "security policies", "messages with multiple addresses", "mass mailer", "message given low priority",
            "policy that prohibited",            // Google 550 5.7.1 "… has a policy that prohibited the mail that you sent"
            "presents a potential security issue", // Google 552 5.7.0 "its content presents a potential security issue"
            "policy violation detected",         // Exchange 5.0.350 "Requested action not taken: policy violation detected (AS345)"
        ],
        [BounceReason.SystemError] =
        [
            "system error", "local error in processing", "configuration error", "config error", "create a mail loop", "mail forwarding loop", "loops back to myself",
            "forwarding loop", "loop was found", "internal error", "interrupted system call", "queue file write error",
            "server is misconfigured", "temporary local problem", "timeout waiting for input", "service currently unavailable",
            "can't create user output file", "could not load drd", "transaction failed ",
            "error while being processed", new("unable to connect ", "daemon"),
            "this domain's dns violates rfc 1035", // Courier courieresmtp
            "temporary system problem",            // Google 421 4.3.0 / 454 4.7.0 "Temporary System Problem"
            "temporarily rejected message", "has temporarily rejected this message", // Google 451 4.3.0
            "qq temporary problem",                // qmail-smtpd 451 "qq temporary problem (#4.3.0)"
            "insufficient system resources",       // Exchange 4.3.1 (back pressure)
            "several matches found in domino directory", // Domino router: the name is ambiguous in its directory
        ],
        [BounceReason.NetworkError] =
        [
            "no route to host", "host is unreachable", "host unreachable", "host not reachable", "network is unreachable",
            "malformed name server reply", "malformed or unexpected name server reply", "name server timeout", "network error", "dns query failed", "establish an smtp connection", "dns records for the destination", "host name lookup failure", "too many hops",
            "hop count exceeded", "routing loop", "message looping", "could not connect and send", "unable to resolve route",
            "had no relevant answers", "nxdomain", "dns lookup failure", "temporary dns", "dns error",
            "dns temporary failure", "servfail", // Google's SMTP error reference (4.0.0 "DNS temporary failure"); RFC 1035 rcode 2
            "dns lookup failed",                 // Courier courieresmtp (a soft error, retried)
            "possible mail loop",                // Exchange 5.4.6 / 5.4.14 "Hop count exceeded - possible mail loop"
            "exceeded 50 hops",                  // Google 554 5.4.6 "Message exceeded 50 hops, this may indicate a mail loop"
            "exceeded maximum hop count",        // Lotus Notes / Domino router "Message has exceeded maximum hop count"
        ],
        [BounceReason.ContentError] =
        [
            "duplicate header", "header size exceeds", "8-bit data in message header", "mime complexity", "invalid mime",
            "improperly-formatted binary content", "unnecessary base64 encoding", "too many received: headers", "media error",
            "content error",
        ],
        [BounceReason.SystemFull] = ["mail system full", "system full", "insufficient system storage", "system storage", "out of disk space", "disk full"],
        [BounceReason.NotAccept] = ["no mx record", "mx record not found", "couldn't find a mail exchanger", "null mx", "does not accept mail", "not accepting network messages", "not accepting mail", "no mx records", "accepts no mail",
            "an mx or srv record indicated no smtp service", // Exim dnslookup router: the domain's MX says it takes no mail (null MX)
        ],
        [BounceReason.Expired] =
        [
            "delivery time expired", "was not delivered within", "envelope expired", "delivery expired", "message expired", "message timed out", "connection timed out",
            "queue too long", "giving up", "did not accept our requests to connect", "could not deliver for the last", "in the queue too long", "giving up on", "have been failing for a long time", "has been delayed",
            "could not be delivered for more than", "retry time not reached", "not reachable within the allowed queue period",
            "unable to deliver message after multiple retries", "could not find a gateway for", "delivery attempts will continue",
            "server did not respond", new("delivery failed ", " attempts"), "retry timeout exceeded", new("could not be delivered for", " days"),
        ],
        [BounceReason.SecurityError] =
        [
            "authentication required", "authentication failure", "authentication failed", "authentication credentials invalid",
            "verification failure", "unauthenticated senders not allowed", "insecure mail relay", "not authorized to send mail",
            "account not subscribed to ses", "authentication turned on in your email client", "is not authorized to perform ses",
        ],
        [BounceReason.MailerError] = ["x-unix", "mailer error", "command died", "exited with", "child status", "procmail", "pipe to |", "command failed", "program exited"],
        [BounceReason.SyntaxError] = ["syntax error", "parameter not implemented", "malformed address", "malformed recipient", "command unrecognized", "command not recognized", "unrecognized command", "line too long"],
        [BounceReason.OnHold] = ["on hold"],
        [BounceReason.Vacation] = ["out of the office", "out of office", "on vacation", "away from the office", "i am away", "i'm away"],
    };

    /// <summary>
    /// An authoritative directory or the local delivery agent saying the mailbox does not exist. Unlike a bare
    /// "user unknown" (which content filters also say after DATA), these name the lookup that failed, so they
    /// mean userunknown whatever the SMTP stage.
    /// </summary>
    public static readonly Phrase[] DirectoryMiss =
    [
        "not listed in domino directory",            // Lotus Domino
        "no se encuentra en el directorio de domino", // Domino, Spanish server messages
        "non répertorié dans l'annuaire domino",     // Domino, French server messages
        "domino ディレクトリには見つかりません",          // Domino, Japanese server messages
        "not listed in public name & address book",  // Lotus Notes
        "ディレクトリのリストにありません",              // Lotus Notes (Japanese): not in the directory list
        "invalid final delivery userid",             // IMail
        "the recipient name is not recognized",      // Exchange 2003
        "does not exist at the organization",        // Exchange 2007+ ("The e-mail account does not exist at the organization this message was sent to")
        "mail.local: unknown user",                  // Sendmail local delivery agent
        "returned unknown recipient",                // Exchange Online 5.1.351
        // Exchange Online sends 5.1.10 for RecipientNotFound, not only for null MX:
        // https://learn.microsoft.com/en-us/exchange/mail-flow-best-practices/non-delivery-reports-in-exchange-online/fix-error-code-5-1-10-in-exchange-online
        "found at the destination domain",          // "The email address wasn't found at the destination domain"
        // Exchange's recipient resolver (categorizer) found no such address in its directory; Microsoft's NDR reference
        // gives these diagnostic names with 5.1.1 and 5.1.10 ("RESOLVER.ADR.RecipientNotFound", "…ExRecipNotFound").
        "resolver.adr.recipientnotfound", "resolver.adr.recipnotfound", "resolver.adr.exrecipnotfound",
        "not found by smtp address lookup",
        "account that you tried to reach does not exist", // Google's own directory (SMTP error reference 5.1.1), also quoted bare by Gmail's text notice
        "no mailbox here by that name",              // qmail-local / vpopmail vdelivermail: the local lookup found no mailbox
        "this address no longer accepts mail",       // qmail bouncesaying(1) as a retired address's .qmail says it
        "no valid recipients for this mm",           // Verizon vzwpix.com picture-message gateway: its own lookup found no such handset
    ];

    /// <summary>
    /// A relay's word that it stopped trying: the message expired in its queue. Said over the last attempt's trouble
    /// ("Message expired, connection refused", Exchange 5.4.316), the expiry is the outcome (see ReasonResolver).
    /// </summary>
    public static readonly Phrase[] ExpiryOutcome = ["message expired", "delivery time expired", "queue.expired", "retry timeout exceeded"];

    /// <summary>Block wording that only says the remote host refused or dropped the TCP connection.</summary>
    public static readonly string[] ConnectionRefusals = ["connection refused", "connection dropped", "connection reset"];

    /// <summary>
    /// Wording that names a DNS block list or the sender's IP on one. Such a refusal is about the sending host, not the
    /// content, even when the list's name contains "spam" (Spamhaus, SpamCop: "blocked using Spamhaus", Yahoo's
    /// "[BL21] … the ip is in Spamhaus's list"), so it never counts as spamdetected wording.
    /// </summary>
    public static readonly Phrase[] BlockListNames =
    [
        // Not "blacklisted" alone: "Blacklisted URL in message" (URIBL) is a verdict on the content.
        "spamhaus", "spamcop", "blocked using", "dnsbl"
    ];

    /// <summary>
    /// RFC 5321's own text for any 550 ("Requested action not taken: mailbox unavailable (e.g., mailbox not found, no
    /// access, or command rejected for policy reasons)", §4.2.3). Outlook.com answers a missing mailbox so at RCPT, but
    /// blocks and policy refusals use it too: it counts as userunknown only when nothing else in the answer or its x.7
    /// status says why (see ReasonResolver).
    /// </summary>
    public static readonly Phrase[] GenericUnavailable = ["requested action not taken: mailbox unavailable"];

    /// <summary>
    /// Diagnostic code names that say why more precisely than the status beside them: Exchange's categorizer and SMTP send
    /// codes, named in every Exchange and Exchange Online NDR ("#550 5.1.4 RESOLVER.ADR.Ambiguous; …"). The status is
    /// generic (5.1.0, 5.1.4, 5.2.0 read as a missing or refused address, 5.4.4 as a missing domain), the name is the
    /// server's own verdict: an address its directory cannot resolve to one mailbox, a mailbox with no valid SMTP address,
    /// an MX that points back at the server itself are configuration errors on the receiving side, not a dead address.
    /// Microsoft "Email non-delivery reports and SMTP errors in Exchange Online" and Exchange Server's NDR code list.
    /// </summary>
    public static readonly Dictionary<BounceReason, Phrase[]> NamedCodes = new()
    {
        [BounceReason.SystemError] = ["resolver.adr.ambiguous", "resolver.adr.badprimary", "resolver.adr.invalidinsmtp"],
        [BounceReason.NetworkError] = ["smtpsend.dns.mxloopback"],
        // 5.2.3 alone is the mailbox's limit (exceedlimit); Exchange names it a message too large for this recipient.
        [BounceReason.MesgTooBig] = ["resolver.rst.recipsizelimit"],
        [BounceReason.TooManyConn] = ["resolver.adr.reciplimit"],
        [BounceReason.Expired] = ["queue.expired"],
    };

    /// <summary>All <see cref="NamedCodes"/> at once: one pass says whether any is named before the per-reason lists are asked.</summary>
    public static readonly Phrase[] AnyNamedCode = NamedCodes.Values.SelectMany(v => v).ToArray();

    /// <summary>The reason a diagnostic code name in <paramref name="lowered"/> gives (<see cref="NamedCodes"/>), else null.</summary>
    public static BounceReason? NamedCode(string lowered)
    {
        if (!AnyNamedCode.AnyIn(lowered)) return null;
        foreach (var (reason, names) in NamedCodes)
            if (names.AnyIn(lowered)) return reason;
        return null;
    }

    // The table as an array by reason, and the answers for the last text asked about on this thread: deciding one
    // recipient's reason asks about the same diagnostic and the same reason several times (rivals, both passes).
    private static readonly Phrase[]?[] ByReason = BuildByReason();
    [ThreadStatic] private static string? memoText;
    [ThreadStatic] private static sbyte[]? memo;

    private static Phrase[]?[] BuildByReason()
    {
        var array = new Phrase[]?[Enum.GetValues<BounceReason>().Max(r => (int)r) + 1];
        foreach (var (reason, list) in Table) array[(int)reason] = list;
        return array;
    }

    public static bool Matches(BounceReason reason, string lowered)
    {
        int i = (int)reason;
        if ((uint)i >= (uint)ByReason.Length || ByReason[i] is not { } list) return false;
        // Keyed by the very string instance: strings do not change, so a cached answer stays true of it.
        if (!ReferenceEquals(lowered, memoText))
        {
            memoText = lowered;
            (memo ??= new sbyte[ByReason.Length]).AsSpan().Clear();
        }
        ref sbyte known = ref memo![i];
        if (known == 0) known = list.AnyIn(lowered) ? (sbyte)1 : (sbyte)-1;
        return known > 0;
    }
}

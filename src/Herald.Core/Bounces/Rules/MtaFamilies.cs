namespace Herald.Core.Bounces.Rules;

/// <summary>
/// How non-standard bounces look, as data: what says "this is a bounce report", where the report ends
/// and the returned copy begins, and which lines introduce a failed recipient. One row set per MTA family
/// would be Sisimai's way; most families share a shape (intro sentence, recipient line, diagnostic lines,
/// copy of the message), so the shared scanner in <see cref="TextBounceExtractor"/> reads them all
/// and this table carries each family's wording.
/// </summary>
internal static class MtaFamilies
{
    /// <summary>Local parts of senders that only send bounces (RFC 3834 §5, RFC 5321 §4.5.5 null sender).</summary>
    public static readonly string[] BounceSenders =
    [
        "mailer-daemon", "postmaster", "mail.delivery.system", "maildelivery", "post_master", "mailerdaemon",
        "mail-daemon", "bounce", "bounces", "nobody", "mdaemon",
        // Exchange Online and Exchange Server send their NDRs from this fixed system mailbox in every organisation
        // ("Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@contoso.com>").
        "microsoftexchange329e71ec88ae4615bbc36ab6ce41109e",
    ];

    /// <summary>
    /// Addresses of the mail and list machinery that reports name as contacts ("write to &lt;postmaster@…&gt;", "List owner:
    /// …-owner@…"): the mail daemons above, RFC 2142's postmaster, and list managers' owner/request/bounce addresses
    /// (Mailman's list-owner, -request, -bounces; Majordomo's owner-list). Never a failed recipient of a text report.
    /// </summary>
    public static bool IsMachinery(string address)
    {
        int at = address.IndexOf('@');
        var local = (at > 0 ? address[..at] : address).ToLowerInvariant();
        if (BounceSenders.Contains(local) || local.StartsWith("owner-", StringComparison.Ordinal)) return true;
        // A list's VERP return path carries the member after '+' (Mailman's "list-bounces+member=host@…"): the
        // machinery is the part before it.
        int plus = local.IndexOf('+');
        var bare = plus > 0 ? local[..plus] : local;
        foreach (var suffix in ListSuffixes) if (bare.EndsWith(suffix, StringComparison.Ordinal)) return true;
        foreach (var infix in ListInfixes) if (local.Contains(infix, StringComparison.Ordinal)) return true;
        return false;
    }

    /// <summary>A list's command and administrator addresses (fml's "list-ctl", "list-admin", ezmlm's and others' "list-help"),
    /// machinery only in a list manager's own notice (the caller checks): elsewhere "help@" or "sys-admin@" may be a mailbox.</summary>
    public static bool IsListCommand(string address)
    {
        int at = address.IndexOf('@');
        var local = (at > 0 ? address[..at] : address).ToLowerInvariant();
        foreach (var suffix in ListCommandSuffixes) if (local.EndsWith(suffix, StringComparison.Ordinal)) return true;
        return false;
    }

    private static readonly string[] ListCommandSuffixes = ["-ctl", "-admin", "-help"];

    /// <summary>
    /// Words of a report's unfinished sentence that ask the reader to write to the address completing it (lowercase): a help
    /// desk, the postmaster, a list's command address. "contact" also covers "please contact your administrator at".
    /// </summary>
    public static readonly string[] ContactWords =
    [
        "contact", "write to", "send ", "mailto:", "question", "for help", "assistance", "to reach",
    ];

    private static readonly string[] ListSuffixes = ["-owner", "-request", "-bounces", "-unsubscribe", "-subscribe"];

    /// <summary>ezmlm's return and command addresses carry the member or a cookie after a fixed infix
    /// ("list-return-88-member=host@…", "list-sc.1670415300.abc-member=host@…", "list-uc.…").</summary>
    private static readonly string[] ListInfixes = ["-return-", "-sc.", "-uc.", "-confirm+", "-confirm-"];

    /// <summary>
    /// Role and robot mailboxes whose automatic answers are notices (an abuse desk's ticket acknowledgement, a list
    /// server's command reply), never a person's out-of-office reply (RFC 2142 role names; list managers' robots).
    /// </summary>
    public static readonly string[] RoleMailboxes =
    [
        "abuse", "noc", "security", "hostmaster", "webmaster", "sympa", "listserv", "majordomo", "mailman", "ezmlm",
        "noreply", "no-reply", "donotreply", "do-not-reply",
    ];

    /// <summary>
    /// Sentences of list managers that pass on a bounce they received (lowercase): the enclosed report, attached or
    /// below the sentence, is the bounce; the wrapper's own text names only the list's machinery and its owners.
    /// </summary>
    public static readonly string[] EnclosedBounceSentences =
    [
        "was received as a bounce",                  // Mailman "Uncaught bounce notification"
        "the triggering bounce notice is attached",  // Mailman "Bounce action notification"
        "copy of the bounce message i received",     // ezmlm warning ("--- Below this line is a copy of the bounce message I received.")
        "seem to have been bouncing",                // ezmlm warning and probe
    ];

    /// <summary>Subject prefixes of a reply (lowercase): English "Re:", German "AW:", Scandinavian "SV:"/"VS:", Dutch
    /// "Antw:", Polish "Odp:", Italian "R:"/"Rif:". A forward ("Fwd:", "WG:", "TR:") is not one.</summary>
    public static readonly string[] ReplyPrefixes = ["re:", "re :", "aw:", "sv:", "vs:", "antw:", "odp:", "rif:", "r:"];

    /// <summary>A list manager's own line naming the member whose mail bounced (Mailman's bounce action notice
    /// "Member: a@b"), used only when the enclosed bounce names nobody (lowercase, at the start of a line).</summary>
    public static readonly string[] ListMemberFields = ["member:"];

    /// <summary>Subjects bounces use (lowercase fragments).</summary>
    public static readonly string[] BounceSubjects =
    [
        "undeliver", "undelivered", "delivery status notification", "failure notice", "returned mail", "mail delivery failed",
        "delivery failure", "delivery failed", "failure delivery", "non-delivery", "nondeliverable", "non remis", "not delivered",
        "could not be delivered", "returned to sender", "delivery problem", "mail system error", "delivery notification",
        "there was an error sending your mail", "delayed mail", "warning: message", "mail could not be delivered",
        "notice of delivery failure", "unable to deliver", "message delivery has failed", "delivery report",
        "dsn", "failed delivery", "mail failure", "are not member", "echec de distribution", "returned mail", "error sending",
        "fml status report", // fml mailing-list manager's replies to a refused post ("fml status report (list)")
        // Delay notices (also in DelaySubjects): Exchange "Delivery delayed:", Courier "DELAYED DELIVERY", Domino
        // "Delivery Delayed", MDaemon "Warning: message still undelivered after 4 hours".
        // Not the bare words: a newsletter's "Delayed delivery of the school photos" is no notice.
        "delivery delayed:", "delayed delivery notice", "message delivery delayed", "still undelivered",
        "mail delivery status", // Courier ("NOTICE: mail delivery status.")
        // Exchange's localized "Undeliverable:" subjects ("non remis" above is the French one).
        "unzustellbar", "no se puede entregar", "non recapitabile", "onbestelbaar", "não é possível entregar", "配信不能",
        // Trend Micro InterScan MSS in Japanese ("Message could not be delivered", "Mail delivery failed").
        "メッセージを配信できません", "メール配信に失敗しました",
        // Exchange Online / Office 365 in Brazilian Portuguese ("Não entregue: <subject>").
        "não entregue",
    ];

    /// <summary>
    /// Ordinary words that name a bounce in a subject only as a notice's verdict (lowercase): its last word ("[Forum] Email
    /// to a user bounced", "Message rejected") or its first before a colon (a Sieve reject's "Rejected: Bake sale"), and only
    /// from the mail or list machinery or a robot mailbox. A parent's "Trip form rejected?", a newsletter's "Bounced back:
    /// the school fair returns" or a coach's "U11s bounced out of the cup" is ordinary mail.
    /// </summary>
    public static readonly string[] NoticeSubjectWords = ["bounced", "rejected", "permanent error"];

    /// <summary>Subjects of delay warnings (lowercase): the MTA is still trying, nothing is final (RFC 3464 §2.3.3 "delayed").</summary>
    public static readonly string[] DelaySubjects =
    [
        "delayed",  // Postfix "Delayed Mail (still being retried)", Exim "Warning: message … delayed 24 hours"
        "warning",  // Sendmail "Warning: could not send message for past 4 hours"
        "(delay)",  // Gmail, Exchange "Delivery Status Notification (Delay)"
        "still undelivered", // MDaemon "Warning: message still undelivered after 4 hours"
    ];

    /// <summary>Sentences of delay warnings (lowercase), from the families named beside each.</summary>
    public static readonly string[] DelaySentences =
    [
        "this is a warning only",               // Postfix delay_template
        "this is a warning message only",       // Sendmail, Gmail's text notices
        "will be retried",                      // Gmail "Message will be retried for 2 more day(s)"
        "has not yet been delivered",           // Exim warn_message_file default
        "will keep trying until",               // Sendmail "Will keep trying until message is 5 days old"
        "still being retried",                  // Postfix
        "delivery will continue to be attempted", // Exchange "This message hasn't been delivered yet."
        "will keep trying to deliver",          // Exchange, MDaemon
        "will keep retrying",                   // Domino
        "this is only a warning",               // Courier
        "delayed delivery",                     // Courier's "DELAYED DELIVERY" section
        "delays in delivering your message",    // Courier dsndelayed.txt
        "a message is delayed for more than",   // OpenSMTPD bounce.c notice_warning
        "only a temporary failure report",      // OpenSMTPD bounce.c notice_warning2
    ];

    /// <summary>
    /// Wording of challenge-response and whitelist services (Boxbe's guest list and the like): they hold a message until
    /// the sender proves to be a person. Not a bounce (nothing failed, nothing final about the address) and not a
    /// vacation reply either, whatever headers they carry (lowercase).
    /// </summary>
    public static readonly string[] ChallengeSentences =
    [
        "challenge-response", "confirm that you are a person", "confirm you are a person", "verify that you are a human",
        "confirm that you are a human", "verify that you are a person", "approved senders list", "'s guest list",
        "list of approved senders", "senders i have approved",  // EarthLink spamBlocker, MailWasher-style whitelists
        "complete the verification",                           // Spam Arrest "Please click the link below to complete the verification process"
        "held pending verification",                           // quarantine notices to the sender
        "has not been verified",                               // TMDA "being held because the address <…> has not been verified"
        "created automatically by mail delivery software (tmda)", // TMDA's confirm_request template
        "please verify your email", "verify your email address",  // SaneBox, Bluebottle
        "registration form", "permission-based email",          // ChoiceMail
        "confirm that you sent it",                             // Qurb
        "automatic email protection",                           // Qurb
        "verify that you are a real sender",
    ];

    /// <summary>
    /// Report wording that people write too (lowercase): "the error message said…", "my message was undeliverable", "I could
    /// not deliver the form", "message you sent last week", "Returned mail from the raffle". Bounces use it as well (Exim's
    /// "A message that you sent", Yahoo's "we were unable to deliver your message", Gmail's "** Message not delivered **",
    /// MailMarshal's "could not be delivered because of"), but it says "report" only beside evidence a person's mail never
    /// carries (see <see cref="Herald.Core.Bounces.TextBounceExtractor.LooksLikeBounce"/>): a mail daemon's sender, a
    /// returned copy, X-Failed-Recipients. A bounce subject is not such evidence: a person's "Re: Undelivered Mail Returned
    /// to Sender" or a newsletter's "Delivery report: the raffle" has one.
    /// </summary>
    public static readonly string[] GenericReportSentences =
    [
        "message could not be delivered",
        "your message could not be delivered",
        "we were unable to deliver your message",                           // Yahoo, and any help desk
        "delivery status notification",                                     // a subject people quote ("I got a delivery status notification")
        "your message was not delivered",
        "message not delivered",                                            // Gmail "** Message not delivered **"
        "was undeliverable",
        "undeliverable mail",
        "the following message to",
        "failed to deliver",
        "message delivery failed",
        "mail delivery failed",                                             // Exim's subject, quoted by people
        "permanent error",
        "has not been delivered",
        "couldn't be delivered",
        "could not deliver",
        "hi. this is the",                                                  // qmail's greeting opening, and a parent's "Hi. This is the Year 4 rep"
        "delivery of your message",
        "your mail could not be delivered",
        "mail was not delivered",
        "message you sent",
        "message that you sent",                                            // Exim
        "the following list of recipients",                                 // OpenSMTPD
        "the recipient's mail server",
        "error message",
        "returned mail",
        "su mensaje no pudo ser entregado",                                 // Spanish ("your message could not be delivered"), qmail clones
        "your message to the following addresses",                          // also "I forwarded your message to the following addresses"
        "could not be delivered because of",                                // Trustwave MailMarshal "Your message: … Could not be delivered because of"
        "could not be delivered to the following",                          // many MTAs, and a newsletter's "parcels could not be delivered to the following addresses"
    ];

    /// <summary>Sentences only bounce reports write (lowercase), from the families named beside each: fixed wording of an
    /// MTA's or gateway's report template that a person does not write in a letter. Wording people also write is in
    /// <see cref="GenericReportSentences"/>.</summary>
    public static readonly string[] ReportSentences =
    [
        "this message was created automatically by mail delivery software", // Exim
        "this is the mail system at host",                                  // Postfix
        "this is the qmail-send program",                                   // qmail
        "i'm afraid i wasn't able to deliver",                              // qmail
        "the following addresses had permanent fatal errors",               // Sendmail
        "the following addresses had delivery problems",                    // Sendmail, Biglobe
        "the following addresses had delivery errors",
        "transcript of session follows",                                    // Sendmail
        "this is the dragonfly mail agent",                                 // DragonFly dma
        "there was an error delivering your mail",
        "could not be delivered to one or more",
        "unable to deliver message to the following",
        "delivery to the following recipient",                              // Gmail, Exchange
        "delivery to the following recipients failed",
        "delivery has failed to these recipients",                          // Exchange 2007 / Office 365
        "your message did not reach some or all of the intended recipients",// Exchange 2003
        "did not reach the following recipient",
        "was not delivered to:",                                            // Domino, Notes
        "an error occurred while trying to deliver the mail",               // Amazon WorkMail
        "your mail message to the following address",
        "could not be delivered to:",                                       // KDDI au
        "running the courier mail server",                                  // Courier module.dsn
        "your message to the following recipients cannot be delivered",    // Courier module.dsn
        "had permanent fatal delivery errors",                              // MDaemon DeliveryError.dat
        "this report relates to a message you sent",                        // Sun/Oracle Messaging Server
        "your message cannot be delivered to the following recipients",    // Sun/Oracle Messaging Server
        // Exchange 2010+ "Delivery has failed to these recipients or groups:" in its other languages.
        "die zustellung an folgende empfänger oder gruppen ist fehlgeschlagen", // German
        "la remise à ces destinataires ou groupes a échoué",                  // French
        "error en la entrega a estos destinatarios o grupos",                 // Spanish
        "recapito non riuscito per questi destinatari o gruppi",              // Italian
        "bezorging is mislukt voor deze ontvangers of groepen",               // Dutch
        "falha na entrega para estes destinatários ou grupos",                // Portuguese
        "failed addresses follow:",                                           // T-Online ("|---- Failed addresses follow: ----|")
        "could not be delivered to mobile",                                   // Verizon Wireless vzwpix.com ("Message could not be delivered to mobile."), from an ordinary-looking sysadmin@ address

        "the original message was received at",                            // Sendmail
        "this is an automatically generated delivery status notification",
        "we had trouble delivering your message",
        "sorry, we were unable to deliver",
        "non-delivered information",
        "error has occurred while attempting to deliver",                   // OpenSMTPD
        "you are not a member of this mailing list",                        // fml
        // qmail clones' own greetings (their per-recipient "<address>:" lines are qmail's), as Sisimai's X4 module lists them.
        "this is the machine generated message from mail service",
        "this is the mail delivery agent at",
        "unfortunately, your mail was not delivered to the following address",
        "the following recipients returned permanent errors",               // small MTA ("There was an error sending your mail")
        // Exchange / Office 365 NDR templates not yet listed: the older Dutch and Portuguese wording of "Delivery has failed
        // to these recipients or groups:", and the NDR for a remote server's refusal ("<host> rejected your message to the
        // following e-mail addresses:").
        "uw bericht kan niet worden bezorgd bij de volgende geadresseerden of groepen", // Dutch
        "falha na entrega a estes destinatários ou grupos",                             // Portuguese
        "rejected your message to the following e-mail addresses",
        "rejected your message to the following email addresses",
        "this is the postfix program at host",                              // Postfix before 2.1 (later "the mail system at host")
    ];

    /// <summary>
    /// Families whose status conventions differ from the default, known by a sentence only their own
    /// reports write (lowercase; the first row found wins). Exim: deliver.c's notification text. OpenSMTPD:
    /// smtpd/bounce.c's greeting.
    /// </summary>
    public static readonly (string Sentence, ReportFamily Family)[] Families =
    [
        // Services that run Exim but write their own notification around it keep the default convention.
        ("the header of the original message is following", ReportFamily.Other), // 1&1, GMX
        ("создано автоматически сервером mail.ru", ReportFamily.Other), // Mail.Ru ("created automatically by the Mail.Ru server")
        ("this message was created automatically by mail delivery software", ReportFamily.Exim),
        ("this is the mailer-daemon, please do not reply to this e", ReportFamily.OpenSmtpd),
    ];

    public static ReportFamily FamilyOf(string lowered)
    {
        foreach (var (sentence, family) in Families)
            if (lowered.Contains(sentence, StringComparison.Ordinal)) return family;
        return ReportFamily.Other;
    }

    /// <summary>
    /// Reporting MTAs (Reporting-MTA prefix, lowercase) that bounce by a rule their owner set up rather than after trying
    /// to deliver: Amazon SES receiving answers with the receipt rule's Bounce action, whose reply and status the owner
    /// picks from templates ("550 5.1.1 Mailbox does not exist", "552 5.2.2 Mailbox full", "500 5.6.1 Message content
    /// rejected", …; docs.aws.amazon.com/ses/latest/dg/receiving-email-action-bounce.html). The status code is the
    /// verdict, and "does not exist" there is the owner's filter, not a directory lookup.
    /// </summary>
    public static readonly string[] RuleBouncers = ["inbound-smtp."];

    /// <summary>
    /// Headers some gateways add that say at which stage they refuse: McAfee's gateways verify recipients during
    /// the SMTP session (RCPT), so their "unknown user" is an address that does not exist, not a content filter.
    /// </summary>
    public static readonly (string Header, string ValueContains, string Command)[] StageHints =
    [
        ("X-NAI-Header", "McAfee", "RCPT"),
    ];

    /// <summary>
    /// PowerMTA's own verdict, the per-recipient DSN field X-PowerMTA-BounceCategory (PowerMTA User's Guide, "bounce categories").
    /// </summary>
    public static readonly Dictionary<string, BounceReason> PowerMtaCategories = new(StringComparer.OrdinalIgnoreCase)
    {
        ["bad-mailbox"] = BounceReason.UserUnknown,
        ["bad-domain"] = BounceReason.HostUnknown,
        ["inactive-mailbox"] = BounceReason.Suspend,
        ["quota-issues"] = BounceReason.MailboxFull,
        ["message-expired"] = BounceReason.Expired,
        ["no-answer-from-host"] = BounceReason.Expired,
        ["routing-errors"] = BounceReason.NetworkError,
        ["bad-connection"] = BounceReason.NetworkError,
        ["relaying-issues"] = BounceReason.NoRelaying,
        ["spam-related"] = BounceReason.SpamDetected,
        ["policy-related"] = BounceReason.PolicyViolation,
        ["content-related"] = BounceReason.ContentError,
        ["virus-related"] = BounceReason.VirusDetected,
        ["invalid-sender"] = BounceReason.Rejected,
        ["protocol-errors"] = BounceReason.SyntaxError,
        ["bad-configuration"] = BounceReason.SystemError,
    };

    /// <summary>Lines (lowercase, trimmed, prefix match) of a mail client's inline forward: the forwarded message's header
    /// block follows (Gmail, Thunderbird, Apple Mail).</summary>
    public static readonly string[] ForwardStarts = ["---------- forwarded message", "-------- forwarded message", "begin forwarded message:"];

    /// <summary>Lines (lowercase, trimmed, prefix match) where the returned copy of the message starts.</summary>
    public static readonly string[] CopyStarts =
    [
        "--- below this line is a copy of the message",   // qmail, Yahoo
        "------ this is a copy of the message",           // Exim
        "------ this is a copy of the message's headers", // Exim
        "--- original message follows",                   // Yahoo Japan
        "--- the header of the original message is following", // 1&1, GMX
        "----- original message -----",
        "-----original message-----",
        "----- unsent message follows -----",             // Sendmail
        "----- message header follows -----",
        "------- returned message --------",
        "--- message headers follow",
        "message headers follow",                         // DragonFly
        "original message headers:",                      // Exchange
        "ursprüngliche nachrichtenkopfzeilen:",           // Exchange, German
        "en-têtes de message d'origine",                  // Exchange, French
        "encabezados del mensaje original",               // Exchange, Spanish
        "|------------------------- message text follows", // T-Online
        "----- the following is a copy of the message",
        "----- message text follows -----",
        "included is a copy of the message header",
        "the original message headers are included",
        "content-type: message/rfc822",
        "-- original message --",
        "original message follows",
        "----- original message header -----",
        "------ original message ------",
        "-------original message",                         // Digital Arts m-FILTER
        "-------original mail info",                       // Digital Arts m-FILTER (the original's header only)
        "original mail as follows:",                       // fml ("Original mail as follows:")
        "below is a copy of the original message",         // OpenSMTPD bounce.c ("    Below is a copy of the original message:")
        "oorspronkelijke berichtkoppen",                   // Exchange / Office 365, Dutch "Original message headers:"
        "cabeçalhos originais da mensagem",                // Exchange / Office 365, Portuguese
        "|------------------------- message header follows", // Deutsche Telekom's Smail-derived banner (headers only)
        "--- undelivered message follows",                 // Postfix before 2.1 ("--- Undelivered message follows ---")
    ];
}

/// <summary>
/// MTA families whose reports follow their own status conventions:
/// <list type="bullet">
/// <item>Exim gives no enhanced status in its text report; the community's pseudo code is temporary (4.0.9yy) when
/// the remote reply was 4yz or the failure is a retry timeout or a full mailbox (both retried by Exim before giving
/// up), and a refusal after MAIL FROM is the sender's problem whatever the wording ("onhold" code x.0.901).</item>
/// <item>OpenSMTPD's message/delivery-status part carries placeholders (5.0.0 for any failure, 4.4.7 for any delay);
/// its text part is the report, and the pseudo code is permanent even for delay warnings.</item>
/// </list>
/// </summary>
internal enum ReportFamily { Other, Exim, OpenSmtpd }

using System.Text;
using Herald.Core.Bounces;
using MimeKit;

namespace Herald.Core.Tests.Bounces;

/// <summary>
/// Properties that hold for every message, checked on thousands of delivery reports generated here (not corpus
/// samples): random actions, status and reply codes, diagnostics, quoted originals full of other people's addresses,
/// and structural damage (no blank line between field groups or after the part's header, a wrong content type on the status part, the
/// whole report attached to a gateway's message, CRLF or LF, truncation); and reports
/// that are not RFC 3464 in several layouts, their returned copy marked or not.
/// </summary>
public class BouncePropertyTests
{
    private const int Messages = 3000;

    private static readonly string[] Actions = ["failed", "delayed", "relayed", "expanded", "delivered", "Failed", "DELAYED", ""];

    private static readonly string[] Diagnostics =
    [
        "{reply} {status} <{rcpt}>: Recipient address rejected: User unknown in virtual mailbox table",
        "{reply} {status} The email account that you tried to reach does not exist.",
        "{reply} {status} Mailbox full",
        "{reply} {status} DNS Error: DNS type 'mx' lookup of {domain} responded with code SERVFAIL; temporary failure",
        "Host or domain name not found. Name service error for name={domain} type=MX: Host not found, try again",
        "{reply} {status} Message rejected due to local policy",
        "{reply} {status} Requested action not taken: mailbox unavailable",
        "{reply} {status} Greylisted, please try again later",
        "{reply} {status} {rcpt}... User unknown",
        "{reply} {status} <{rcpt}>: User unknown (4.0.0 temporary directory lookup failure)",
        "",
    ];

    /// <summary>Addresses that appear in the returned message but are not the failed recipient: its sender, its other
    /// recipients, a mailing list, a person quoted in the text.</summary>
    private static readonly string[] Bystanders =
    [
        "sender@school.example", "office@school.example", "list-owner@lists.example.net", "postmaster@relay.example.net",
        "someone.quoted@elsewhere.example", "cc.person@example.com",
    ];

    /// <summary>Content types gateways put on a delivery-status part instead of message/delivery-status.</summary>
    private static readonly string[] MislabelledStatus = ["text/plain", "application/octet-stream", "message/deliverystatus", "text/plain; name=\"details.txt\""];

    private sealed record Generated(byte[] Bytes, string Recipient, string Action, string Status, string Reply, bool Whole, string Diagnostic = "");

    private static Generated Generate(Random r)
    {
        var rcpt = $"user{r.Next(1000)}@dest{r.Next(20)}.example.org";
        var domain = rcpt[(rcpt.IndexOf('@') + 1)..];
        var cls = r.Next(3) switch { 0 => '4', 1 => '5', _ => '2' };
        var status = $"{cls}.{r.Next(8)}.{r.Next(8)}";
        // Now and then a 4yz reply under a 5.x status: a relay's summary over the remote host's temporary answer.
        var reply = cls == '2' ? "250" : $"{(r.Next(6) == 0 ? '4' : cls)}{r.Next(5)}{r.Next(10)}";
        var action = Actions[r.Next(Actions.Length)];
        var diagnostic = Diagnostics[r.Next(Diagnostics.Length)].Replace("{reply}", reply).Replace("{status}", status)
            .Replace("{rcpt}", rcpt).Replace("{domain}", domain);
        var nl = r.Next(2) == 0 ? "\r\n" : "\n";
        var statusType = r.Next(5) == 0 ? MislabelledStatus[r.Next(MislabelledStatus.Length)] : "message/delivery-status";
        var blank = r.Next(6) == 0 ? "" : nl; // a report whose per-message and per-recipient fields run together
        var partBlank = r.Next(6) == 0 ? "" : nl; // no blank line after the part's own header: the fields read as MIME headers
        var original = new StringBuilder()
            .Append($"From: The Office <{Bystanders[0]}>{nl}")
            .Append($"To: {rcpt}, {Bystanders[r.Next(1, Bystanders.Length)]}{nl}")
            .Append($"Cc: {Bystanders[r.Next(1, Bystanders.Length)]}{nl}")
            .Append($"Subject: School trip{nl}{nl}")
            .Append($"Dear parent, please reply to {Bystanders[r.Next(Bystanders.Length)]} before Friday.{nl}");
        var text = $"""
            From: Mail Delivery System <MAILER-DAEMON@relay.example.net>
            To: {Bystanders[0]}
            Subject: {(action.StartsWith('d') || action.StartsWith('D') ? "Delivery Status Notification (Delay)" : "Undelivered Mail Returned to Sender")}
            MIME-Version: 1.0
            Content-Type: multipart/report; report-type=delivery-status; boundary="rpt"

            --rpt
            Content-Type: text/plain

            This is the mail system at host relay.example.net. Your message could not be delivered to one or more recipients.

            --rpt
            Content-Type: {statusType}
            {partBlank}Reporting-MTA: dns; relay.example.net
            Arrival-Date: Mon, 30 Nov 2026 10:00:00 +0000
            {blank}Final-Recipient: rfc822; {rcpt}
            Original-Recipient: rfc822;{rcpt}
            Action: {action}
            Status: {status}
            Remote-MTA: dns; mx.{domain}
            Diagnostic-Code: smtp; {diagnostic}

            --rpt
            Content-Type: message/rfc822

            {original}
            --rpt--

            """.Replace("\r\n", "\n").Replace("\n", nl);
        // Odd nesting: a gateway that passes the whole report on as an attached message and says nothing itself.
        if (r.Next(8) == 0)
            text = string.Join(nl, "From: Gateway <gw@gateway.example.net>", "To: " + Bystanders[0], "Subject: Notification",
                "MIME-Version: 1.0", "Content-Type: multipart/mixed; boundary=\"wrap\"", "", "--wrap", "Content-Type: message/rfc822", "", text, "--wrap--", "");
        var bytes = Encoding.UTF8.GetBytes(text);
        var whole = r.Next(8) != 0;
        if (!whole) bytes = bytes[..r.Next(bytes.Length / 2, bytes.Length)]; // truncated in transit
        return new Generated(bytes, rcpt, action, status, reply, whole, diagnostic);
    }

    /// <summary>Layouts of reports that are not RFC 3464: where each puts the failed recipient, and how (or whether) it
    /// marks where the returned message starts. {rcpt} and {diag} are filled in; the returned copy follows.</summary>
    private static readonly string[] TextLayouts =
    [
        // Exim (deliver.c's default text)
        "This message was created automatically by mail delivery software.\n\nA message that you sent could not be delivered to one or more of its\nrecipients. This is a permanent error. The following address(es) failed:\n\n  {rcpt}\n    {diag}\n\n------ This is a copy of the message, including all the headers. ------\n\n",
        // qmail-send
        "Hi. This is the qmail-send program at relay.example.net.\nI'm afraid I wasn't able to deliver your message to the following addresses.\nThis is a permanent error; I've given up. Sorry it didn't work out.\n\n<{rcpt}>:\n{diag}\n\n--- Below this line is a copy of the message.\n\n",
        // Sendmail transcript: the recipient only in the RCPT TO line and the verdict
        "The original message was received at Mon, 30 Nov 2026 10:00:00 +0000\n\n   ----- Transcript of session follows -----\n>>> RCPT TO:<{rcpt}>\n<<< {diag}\n550 5.1.1 <{rcpt}>... User unknown\n\n   ----- Original message follows -----\n",
        // Sendmail's fatal-errors list, the recipient reached through a list alias
        "   ----- The following addresses had permanent fatal errors -----\n<{rcpt}>\n    (reason: {diag})\n    (expanded from: <parents@lists.example.net>)\n\n   ----- Transcript of session follows -----\n... while talking to mx.example.org.:\n>>> RCPT To:<{rcpt}>\n<<< {diag}\n\n",
        // Exim, the recipient generated by a forward
        "This message was created automatically by mail delivery software.\n\nA message that you sent could not be delivered to one or more of its\nrecipients. This is a permanent error. The following address(es) failed:\n\n  {rcpt}\n    (generated from parents@lists.example.net)\n    {diag}\n\n",
        // A gateway with its own section and no marker before the returned header block
        "Your message could not be delivered to the following recipient:\n\n    {rcpt}\n\nReason: {diag}\n\n",
        // A list server's notice that names its own machinery and the mail system's contact in the report text
        "Delivery to the following recipient failed permanently:\n\n     {rcpt}\n\nTechnical details of permanent failure:\n{diag}\n\nList owner:\n    parents-owner@lists.example.net\n\nFor help, write to\n<postmaster@relay.example.net>\n\n----- Original message -----\n\n",
        // Mail daemons whose only report wording is prose people write too (MtaFamilies.GenericReportSentences): read
        // because the sender is the mail daemon, not because of the words.
        "The following message to <{rcpt}> was undeliverable.\nThe reason for the problem:\n{diag}\n\n",
        "Sorry, I could not deliver your message.\n\nError message:\n\n    {rcpt}\n    {diag}\n\n",
    ];

    private static Generated GenerateText(Random r)
    {
        var rcpt = $"user{r.Next(1000)}@dest{r.Next(20)}.example.org";
        var diag = Diagnostics[r.Next(Diagnostics.Length - 1)].Replace("{reply}", "550").Replace("{status}", "5.1.1")
            .Replace("{rcpt}", rcpt).Replace("{domain}", rcpt[(rcpt.IndexOf('@') + 1)..]);
        string Bystander() => Bystanders[r.Next(1, Bystanders.Length)];
        var report = TextLayouts[r.Next(TextLayouts.Length)].Replace("{rcpt}", rcpt).Replace("{diag}", diag);
        // Some gateways keep the original's subject: then the daemon's sender and the report's wording alone say "bounce".
        var subject = r.Next(3) == 0 ? "School trip" : "Undelivered Mail Returned to Sender";
        var text = "From: Mail Delivery System <MAILER-DAEMON@relay.example.net>\nTo: " + Bystanders[0] +
            "\nSubject: " + subject + "\n\n" + report +
            $"Return-Path: <{Bystanders[0]}>\nReceived: from school.example by relay.example.net; Mon, 30 Nov 2026 10:00:00 +0000\n" +
            $"From: The Office <{Bystanders[0]}>\nTo: {(r.Next(2) == 0 ? rcpt : Bystander())}, {Bystander()}\nCc: {Bystander()}\n" +
            $"Reply-To: {Bystander()}\nList-Post: <mailto:{Bystander()}>\nMessage-ID: <trip@school.example>\nSubject: School trip\n\n" +
            $"Dear parent, please reply to {Bystander()} before Friday to confirm that you are a person on the school's guest list.\n\n{Bystander()}\n<{Bystander()}>\n";
        if (r.Next(2) == 0) text = text.Replace("\n", "\r\n");
        return new Generated(Encoding.UTF8.GetBytes(text), rcpt, "failed", "5.1.1", "550", true);
    }

    private static IEnumerable<(Generated Message, BounceReport Report)> AnalysedText()
    {
        var r = new Random(20261202);
        for (var i = 0; i < Messages / 3; i++)
        {
            var g = GenerateText(r);
            yield return (g, BounceAnalyzer.AnalyzeUnguarded(g.Bytes));
        }
    }

    [Fact]
    public void Reports_that_are_not_rfc3464_name_their_recipient_and_never_a_bystander_of_the_returned_message()
    {
        var wrong = AnalysedText()
            .Where(x => x.Report.Recipients.Select(rc => rc.Address.ToLowerInvariant()).ToList() is var got && !(got.Count == 1 && got[0] == x.Message.Recipient))
            .Select(x => $"{x.Message.Recipient}: reported {x.Report.Kind} with [{string.Join(", ", x.Report.Recipients.Select(rc => rc.Address))}]")
            .ToList();
        Assert.True(wrong.Count == 0, $"{wrong.Count} text reports with the wrong recipients, e.g.:\n{string.Join('\n', wrong.Take(10))}");
    }

    /// <summary>List managers' notices that pass a bounce on (Mailman's uncaught-bounce and bounce-action notices with
    /// the bounce attached, ezmlm's warning quoting it inline), each naming the list, its owners, its -bounces, -request
    /// and -return- addresses and the site's administrator in its own text. {inner} is the bounce, {rcpt} the member.</summary>
    private static readonly string[] ListWrappers =
    [
        "From: parents-bounces@lists.example.net\nTo: parents-owner@lists.example.net\nSubject: Uncaught bounce notification\n" +
        "List-Id: Parents <parents.lists.example.net>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"mm\"\n\n--mm\n" +
        "Content-Type: text/plain\n\nThe attached message was received as a bounce, but either the bounce\nformat was not recognized, or no member " +
        "addresses could be extracted\nfrom it. Send questions to\n\n    parents-owner@lists.example.net\n    <parents-request@lists.example.net>\n\n" +
        "--mm\nContent-Type: message/rfc822\n\n{inner}\n--mm--\n",
        "From: mailman-bounces@lists.example.net\nTo: parents-owner@lists.example.net\nSubject: Bounce action notification\n" +
        "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"mm\"\n\n--mm\nContent-Type: text/plain\n\n" +
        "This is a Mailman mailing list bounce action notice:\n\n    List:       Parents\n    Member:     {rcpt}\n    Action:     Subscription disabled.\n\n" +
        "The triggering bounce notice is attached below.\n\nQuestions?\nContact the Mailman site administrator at\n<mailman-owner@lists.example.net>\n\n" +
        "--mm\nContent-Type: message/rfc822\n\n{inner}\n--mm--\n",
        "From: parents-help@lists.example.net\nTo: {rcpt}\nSubject: ezmlm warning\nReturn-Path: <parents-return-warn-1-x=y@lists.example.net>\n\n" +
        "Hi! This is the ezmlm program. I'm managing the\nparents@lists.example.net mailing list.\n\nMessages to you from the parents mailing list seem to\n" +
        "have been bouncing. To unsubscribe, send a message to:\n   <parents-unsubscribe@lists.example.net>\n\n" +
        "--- Below this line is a copy of the bounce message I received.\n\n{inner}",
    ];

    [Fact]
    public void List_managers_passing_a_bounce_on_name_only_the_member_whose_mail_failed()
    {
        var r = new Random(20261207);
        var wrong = new List<string>();
        for (var i = 0; i < Messages / 6; i++)
        {
            var inner = GenerateText(r);
            var text = ListWrappers[r.Next(ListWrappers.Length)]
                .Replace("{rcpt}", inner.Recipient).Replace("{inner}", Encoding.UTF8.GetString(inner.Bytes).Replace("\r\n", "\n"));
            if (r.Next(2) == 0) text = text.Replace("\n", "\r\n");
            var report = BounceAnalyzer.AnalyzeUnguarded(Encoding.UTF8.GetBytes(text));
            var got = report.Recipients.Select(rc => rc.Address.ToLowerInvariant()).ToList();
            if (report.Kind != MessageKind.Bounce || got.Count != 1 || got[0] != inner.Recipient)
                wrong.Add($"{inner.Recipient}: reported {report.Kind} with [{string.Join(", ", got)}]");
        }
        Assert.True(wrong.Count == 0, $"{wrong.Count} list notices with the wrong recipients, e.g.:\n{string.Join('\n', wrong.Take(10))}");
    }

    private static IEnumerable<(Generated Message, BounceReport Report)> Analysed()
    {
        var r = new Random(20261201);
        for (var i = 0; i < Messages; i++)
        {
            var g = Generate(r);
            yield return (g, BounceAnalyzer.AnalyzeUnguarded(g.Bytes));
        }
    }

    [Fact]
    public void No_generated_report_makes_the_analysis_throw()
    {
        var failures = new List<string>();
        var r = new Random(20261201);
        for (var i = 0; i < Messages; i++)
        {
            var g = Generate(r);
            try { BounceAnalyzer.AnalyzeUnguarded(g.Bytes); }
            catch (Exception e) { failures.Add($"message {i}: {e.GetType().Name}: {e.Message}"); }
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures.Take(10)));
    }

    [Fact]
    public void A_4x_status_a_4yz_reply_or_an_action_other_than_failed_never_makes_a_hard_bounce()
    {
        var wrong = Analysed()
            .SelectMany(x => x.Report.Recipients.Select(rcpt => (x.Message, Rcpt: rcpt)))
            .Where(x => x.Rcpt.Hard && (x.Rcpt.Status?.StartsWith('4') == true || x.Message.Status.StartsWith('4')
                                        || (x.Message.Reply.StartsWith('4') && x.Message.Diagnostic.Contains(x.Message.Reply, StringComparison.Ordinal))
                                        || x.Message.Diagnostic.Contains("4.0.0 temporary", StringComparison.Ordinal)
                                        || !(x.Message.Action is "failed" or "Failed" or "")))
            .Select(x => $"{x.Rcpt.Address}: action '{x.Message.Action}' status {x.Message.Status} reply {x.Message.Reply} → hard ({x.Rcpt.Reason})")
            .ToList();
        Assert.True(wrong.Count == 0, $"{wrong.Count} hard bounces that must be soft, e.g.:\n{string.Join('\n', wrong.Take(10))}");
    }

    [Fact]
    public void The_sender_and_the_people_in_the_returned_message_are_never_reported_as_failed()
    {
        var wrong = Analysed()
            .SelectMany(x => x.Report.Recipients.Select(rcpt => (x.Message, Rcpt: rcpt)))
            .Where(x => Bystanders.Contains(x.Rcpt.Address, StringComparer.OrdinalIgnoreCase))
            .Select(x => $"{x.Rcpt.Address} reported ({x.Rcpt.Reason}) for a report about {x.Message.Recipient}")
            .ToList();
        Assert.True(wrong.Count == 0, $"{wrong.Count} bystanders reported as failed recipients, e.g.:\n{string.Join('\n', wrong.Take(10))}");
    }

    [Fact]
    public void Every_whole_report_of_a_permanent_failure_names_its_recipient()
    {
        // Whatever the damage to its structure (no blank line, the status part typed text/plain, LF or CRLF).
        var missed = Analysed()
            .Where(x => x.Message.Whole && x.Message.Action is "failed" or "Failed" && x.Message.Status.StartsWith('5'))
            .Where(x => !x.Report.Recipients.Any(rcpt => rcpt.Address.Equals(x.Message.Recipient, StringComparison.OrdinalIgnoreCase)))
            .Select(x => $"{x.Message.Recipient} ({x.Message.Status}): reported {x.Report.Kind} with [{string.Join(", ", x.Report.Recipients.Select(rc => rc.Address))}]")
            .ToList();
        Assert.True(missed.Count == 0, $"{missed.Count} reports without their recipient, e.g.:\n{string.Join('\n', missed.Take(10))}");
    }

    /// <summary>Senders of ordinary mail that reaches the bounce mailbox: parents, a newsletter, a club, a ticket system,
    /// no-reply robots, a colleague on holiday.</summary>
    private static readonly string[] OrdinarySenders =
    [
        "Jo Parent <jo.parent@home.example.org>", "PTA News <news@pta.example.org>", "Coach Sam <sam.coach@club.example.net>",
        "Help Desk <support@helpdesk.example.com>", "School Portal <noreply@portal.school.example>", "Ms Lee <ms.lee@school.example>",
        "Maria Rossi <maria.rossi@casa.example.it>", "Newsletter <newsletter@mailer.example.com>",
    ];

    private static readonly string[] OrdinarySubjects =
    [
        "Re: Sports day timetable", "R: Gita scolastica", "AW: Elternabend", "Bounced back: the school fair returns",
        "U11s bounced out of the cup", "Delayed delivery of the school photos", "Photos delayed again", "Trip form rejected?",
        "Absence - Sam Year 4", "Auto Response: [Ticket #{n}] Your request", "Out of Office: Sports day timetable",
        "Warning: icy playground", "Permanent error in the lunch menu?",
        "Your email bounced? Here is how to update your address", "Automatic reply: Term dates",
    ];

    /// <summary>Subjects people, newsletters and help desks write with a bounce's own words in them: a reply to a bounce
    /// someone received, a forward of one, a newsletter's "delivery report", a parent asking about one.</summary>
    private static readonly string[] BounceWordSubjects =
    [
        "Re: Undelivered Mail Returned to Sender", "AW: Returned mail: see transcript", "RE: Undeliverable: Term dates",
        "Sv: Delivery report", "Fwd: Undelivered Mail Returned to Sender", "FW: Returned mail: see transcript",
        "Fwd: Undeliverable: Sports day timetable", "Delivery report: the spring fair raffle", "Your delivery report for December",
        "Undeliverable parcels and returned mail: what to do", "Undelivered Mail Returned to Sender?", "Returned mail from the raffle",
    ];

    /// <summary>Sentences ordinary mail writes that mention bounce words in passing, among them the generic wording reports
    /// also use ("the error message said", "was undeliverable", "could not deliver", "message you sent"), a bounce's lines
    /// quoted with '>', and addresses alone on their lines as reports list recipients.</summary>
    private static readonly string[] OrdinaryLines =
    [
        "The error message said the mailbox was full, so I am sending it again from my work address.",
        "Your message was undeliverable? I got it fine, maybe the office address is wrong.",
        "It said the message you sent could not be delivered, no idea why.",
        "Our parcels could not be delivered to the following addresses because the labels were wrong:",
        "Hi. This is the Year 4 class rep, the email to these parents bounced:",
        "Mail delivery failed: returning message to sender, that is all it says.",
        "Delivery of your message to the PTA list failed to deliver to two people, see below.",
        "The error message was: 550 5.1.1 user unknown",
        "<{addr}>",
        "My last email to the class rep came back as undeliverable, the error message said user unknown.",
        "The ball bounced over the fence twice before the bell.",
        "The coach is delayed, we will be back at 5 instead of 4.",
        "Returned mail from last year's raffle winners is still waiting at the office.",
        "Message you sent last week about lifts: thanks.",
        "Sorry, I could not deliver the form on Friday, it was a permanent error on my side!",
        "I am out of the office until Monday with limited access to email.",
        "Thank you for contacting support. Your request has been received and a ticket has been opened.",
        "Messages to the old address seem to have been bouncing since the summer.",
        "The printer had a system error and a mail loop, so delivery of your message was delayed.",
        "Member: {addr}",
        "To: {addr}",
        "Please write to",
        "> This is the mail system at host relay.school.example.",
        "> <{addr}>: host mx.example.org said: 550 5.1.1 User unknown",
        "> 550 5.1.1 <{addr}>... User unknown",
    ];

    private static readonly string[] ReplyPrefixes = ["Re:", "AW:", "RE:", "Sv:"];

    private static byte[] GenerateOrdinary(Random r, out string from)
    {
        from = OrdinarySenders[r.Next(OrdinarySenders.Length)];
        bool bounceWords = r.Next(2) == 0;
        var subject = (bounceWords ? BounceWordSubjects[r.Next(BounceWordSubjects.Length)] : OrdinarySubjects[r.Next(OrdinarySubjects.Length)])
            .Replace("{n}", r.Next(10000).ToString(System.Globalization.CultureInfo.InvariantCulture));
        // A forward or a newsletter under a bounce's subject quotes no report with '>' here: a forward passes the bounce
        // it quotes on and is read as one (docs/bounces.md, "How a reason is decided" 8). A reply may quote it.
        bool quotes = !bounceWords || ReplyPrefixes.Any(p => subject.StartsWith(p, StringComparison.OrdinalIgnoreCase));
        var sb = new StringBuilder($"From: {from}\nTo: office@school.example\nSubject: {subject}\nMessage-ID: <{r.Next()}@mail.example>\n");
        if (r.Next(4) == 0) sb.Append("Auto-Submitted: auto-replied\n");
        if (r.Next(5) == 0) sb.Append("List-Id: PTA news <news.pta.example.org>\nPrecedence: bulk\n");
        sb.Append('\n');
        for (int i = 0, n = 2 + r.Next(6); i < n; i++)
        {
            var addr = $"person{r.Next(100)}@home{r.Next(9)}.example.org";
            var line = OrdinaryLines[r.Next(OrdinaryLines.Length)];
            if (!quotes && line.StartsWith('>')) continue;
            sb.Append(line.Replace("{addr}", addr)).Append('\n');
            if (r.Next(3) == 0) sb.Append("  ").Append(addr).Append('\n'); // an address alone on its line, as reports list recipients
        }
        var text = sb.ToString();
        return Encoding.UTF8.GetBytes(r.Next(2) == 0 ? text.Replace("\n", "\r\n") : text);
    }

    [Fact]
    public void Ordinary_mail_with_bounce_words_in_passing_never_names_a_failed_recipient_nor_a_hard_one()
    {
        var r = new Random(20261203);
        var wrong = new List<string>();
        for (var i = 0; i < Messages * 2 / 3; i++)
        {
            var bytes = GenerateOrdinary(r, out var from);
            var report = BounceAnalyzer.AnalyzeUnguarded(bytes);
            if ((report.Kind == MessageKind.Bounce && report.Recipients.Count > 0) || report.Recipients.Any(rc => rc.Hard))
                wrong.Add($"{from}: {report.Kind} [{string.Join(", ", report.Recipients.Select(rc => $"{rc.Address} {rc.Reason.ToVocabulary()}"))}]\n{Encoding.UTF8.GetString(bytes)}");
        }
        Assert.True(wrong.Count == 0, $"{wrong.Count} ordinary messages read as bounces, e.g.:\n{string.Join("\n---\n", wrong.Take(5))}");
    }
}

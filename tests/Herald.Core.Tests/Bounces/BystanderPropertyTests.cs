using System.Text;
using Herald.Core.Bounces;

namespace Herald.Core.Tests.Bounces;

/// <summary>
/// Failed-address precision and recall on generated reports (not corpus samples) that put bystander addresses
/// everywhere real reports put them: the report's explanatory prose ("contact helpdesk@…", "send 'guide' to list-ctl@…"),
/// the reporting MTA's own SMTP transcript (MAIL FROM, "250 2.1.0 &lt;sender&gt; ok"), message-id-like tokens, the
/// returned copy's headers and body with or without a marker (Reply-To, Cc, Bcc, List-*, a list manager's footer), a
/// report forwarded by a person, a bounce of a bounce, and list managers' wrappers. Each report names 1–3 failed
/// recipients in its own family's place (qmail, Exim, Sendmail, Domino, Exchange, Postfix, RFC 3464); exactly those
/// must come out, and no bystander.
/// </summary>
public class BystanderPropertyTests
{
    private const int PerShape = 300;

    /// <summary>Every bystander address the generators use: none is ever a failed recipient.</summary>
    private static readonly string[] Bystanders =
    [
        "sender@school.example", "office@school.example", "helpdesk@isp.example.net", "support@isp.example.net",
        "admin@isp.example.net", "abuse@isp.example.net", "postmaster@relay.example.net", "parents@lists.example.net",
        "parents-ctl@lists.example.net", "parents-admin@lists.example.net", "parents-help@lists.example.net",
        "owner-parents@lists.example.net", "parents-request@lists.example.net", "listserv@lists.example.net",
        "sympa@lists.example.net", "parents+unsubscribe@googlegroups.com", "bounces+12345-abcd-sender=school.example@em.relay.example.net",
        "20261130100000.abc123@school.example", "queue.4f2a9@relay.example.net", "cc.person@example.com", "bcc.person@example.com",
        "reply.here@school.example", "forwarder@home.example.org", "earlier.failure@old.example.org",
    ];

    private const string Mta = "relay.example.net";

    /// <summary>Lines of explanatory prose reports add around their recipient section, each naming a bystander.</summary>
    private static readonly string[] Prose =
    [
        "If you need help, write to postmaster@relay.example.net.",
        "Please contact helpdesk@isp.example.net if the problem persists.",
        "For further assistance, please send mail to <support@isp.example.net>.",
        "If you have any questions, please contact\n\n    admin@isp.example.net\n",
        "See https://help.isp.example.net/bounce for details, or mailto:abuse@isp.example.net to report abuse.",
        "If you know the general guide of this list, send 'guide' to parents-ctl@lists.example.net.",
        "To reach a person, write to the list owner:\n\n\tparents-admin@lists.example.net\n",
        "Questions about the list: parents-help@lists.example.net",
        "Your message <20261130100000.abc123@school.example> was queued as queue.4f2a9@relay.example.net.",
        "Contact the list owner at owner-parents@lists.example.net for help.",
    ];

    private sealed record Shape(string Text, string[] Recipients);

    private static string[] Recipients(Random r)
    {
        var n = 1 + r.Next(3);
        var list = new List<string>();
        while (list.Count < n)
        {
            var a = $"user{r.Next(1000)}@dest{r.Next(20)}.example.org";
            if (!list.Contains(a)) list.Add(a);
        }
        return [.. list];
    }

    private static string Domain(string a) => a[(a.IndexOf('@') + 1)..];

    private static string SomeProse(Random r)
    {
        var sb = new StringBuilder();
        for (int i = 0, n = 1 + r.Next(3); i < n; i++) sb.Append(Prose[r.Next(Prose.Length)]).Append("\n\n");
        return sb.ToString();
    }

    /// <summary>The report text of one MTA family naming <paramref name="rcpts"/>, with prose around it.</summary>
    private static string FamilyReport(Random r, int family, string[] rcpts, out string copyMarker)
    {
        var sb = new StringBuilder();
        switch (family)
        {
            case 0: // qmail-send
                sb.Append($"Hi. This is the qmail-send program at {Mta}.\nI'm afraid I wasn't able to deliver your message to the following addresses.\nThis is a permanent error; I've given up. Sorry it didn't work out.\n\n");
                foreach (var a in rcpts)
                    sb.Append($"<{a}>:\n192.0.2.{r.Next(250)} does not like recipient.\nRemote host said: 550 5.1.1 <{a}>... User unknown\nGiving up on 192.0.2.7.\n\n");
                sb.Append(SomeProse(r));
                copyMarker = "--- Below this line is a copy of the message.\n\n";
                break;
            case 1: // Exim
                sb.Append("This message was created automatically by mail delivery software.\n\nA message that you sent could not be delivered to one or more of its\nrecipients. This is a permanent error. The following address(es) failed:\n\n");
                foreach (var a in rcpts)
                    sb.Append($"  {a}\n    SMTP error from remote mail server after RCPT TO:<{a}>:\n    host mx.{Domain(a)} [192.0.2.1]: 550 5.1.1 <{a}>: User unknown\n");
                sb.Append('\n').Append(SomeProse(r));
                copyMarker = "------ This is a copy of the message, including all the headers. ------\n\n";
                break;
            case 2: // Sendmail: fatal-errors list, then the transcript with the MTA's own MAIL FROM exchange
                sb.Append($"The original message was received at Mon, 30 Nov 2026 10:00:00 +0000\nfrom school.example [192.0.2.9]\n\n").Append(SomeProse(r));
                sb.Append("   ----- The following addresses had permanent fatal errors -----\n");
                foreach (var a in rcpts) sb.Append($"<{a}>\n    (reason: 550 5.1.1 User unknown)\n");
                sb.Append($"\n   ----- Transcript of session follows -----\n... while talking to mx.{Domain(rcpts[0])}.:\n");
                sb.Append(">>> MAIL From:<bounces+12345-abcd-sender=school.example@em.relay.example.net> SIZE=2048\n");
                sb.Append("<<< 250 2.1.0 <bounces+12345-abcd-sender=school.example@em.relay.example.net>... Sender ok\n");
                foreach (var a in rcpts) sb.Append($">>> RCPT To:<{a}>\n<<< 550 5.1.1 <{a}>... User unknown\n550 5.1.1 <{a}>... User unknown\n");
                sb.Append('\n');
                copyMarker = "   ----- Original message follows -----\n\n";
                break;
            case 3: // Domino
                sb.Append("Your message\n\n  Subject: School trip\n\nwas not delivered to:\n\n");
                foreach (var a in rcpts) sb.Append($"  {a}\n");
                sb.Append("\nbecause:\n\n");
                foreach (var a in rcpts) sb.Append($"  User {a} ({a}) not listed in Domino Directory\n");
                sb.Append('\n').Append(SomeProse(r));
                copyMarker = "----- Original message -----\n\n";
                break;
            case 4: // Exchange text NDR
                sb.Append("Delivery has failed to these recipients or groups:\n\n");
                foreach (var a in rcpts)
                    sb.Append($"{a} ({a})\nThe e-mail address you entered couldn't be found. Please check the recipient's e-mail address and try to resend the message. If the problem continues, please contact your helpdesk.\n\n");
                sb.Append(SomeProse(r)).Append($"\n\nDiagnostic information for administrators:\n\nGenerating server: {Mta}\n\n");
                foreach (var a in rcpts) sb.Append($"{a}\n#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##\n\n");
                copyMarker = "Original message headers:\n\n";
                break;
            default: // Postfix without its delivery-status part
                sb.Append($"This is the mail system at host {Mta}.\n\nI'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients. It's attached below.\n\n");
                sb.Append(SomeProse(r)).Append("                   The mail system\n\n");
                foreach (var a in rcpts)
                    sb.Append($"<{a}>: host mx.{Domain(a)}[192.0.2.1] said: 550 5.1.1 <{a}>:\n    Recipient address rejected: User unknown (in reply to RCPT TO command)\n\n");
                copyMarker = "";
                break;
        }
        return sb.ToString();
    }

    /// <summary>The returned message as a list distributed it: its sender, other addressees, Reply-To, Bcc, List-*, and a
    /// list manager's footer (Mailman, LISTSERV, Sympa, Google Groups) full of the list's command addresses. An earlier
    /// report quoted in its body (a bounce of a bounce) names its own failed recipient, which is no failure of this one.</summary>
    private static string Copy(Random r, string[] rcpts)
    {
        var to = r.Next(3) == 0 ? rcpts[0] : "parents@lists.example.net";
        var sb = new StringBuilder();
        if (r.Next(2) == 0) sb.Append("Return-Path: <bounces+12345-abcd-sender=school.example@em.relay.example.net>\nReceived: from school.example by relay.example.net; Mon, 30 Nov 2026 10:00:00 +0000\n");
        sb.Append("Date: Mon, 30 Nov 2026 10:00:00 +0000\nFrom: The Office <sender@school.example>\n");
        sb.Append($"To: {to}\nCc: cc.person@example.com\nBcc: bcc.person@example.com\nReply-To: reply.here@school.example\n");
        sb.Append("Message-ID: <20261130100000.abc123@school.example>\nSubject: School trip\n");
        if (r.Next(2) == 0)
            sb.Append("List-Id: Parents <parents.lists.example.net>\nList-Post: <mailto:parents@lists.example.net>\n" +
                      "List-Unsubscribe: <mailto:parents-request@lists.example.net?subject=unsubscribe>\nList-Help: <mailto:parents-help@lists.example.net>\n");
        sb.Append("\nDear parents,\n\nplease reply to reply.here@school.example before Friday.\n\n");
        sb.Append(r.Next(5) switch
        {
            0 => "_______________________________________________\nParents mailing list\nparents@lists.example.net\nTo unsubscribe send an email to parents-request@lists.example.net\n",
            1 => "To unsubscribe from the PARENTS list, write to:\n\n    listserv@lists.example.net\n",
            2 => "--\nYou received this message because you are subscribed to the Google Groups \"parents\" group.\nTo unsubscribe from this group and stop receiving emails from it, send an email to parents+unsubscribe@googlegroups.com.\n",
            3 => "Sympa list manager: send 'help' to <sympa@lists.example.net>\n",
            _ => "Hi. This is the qmail-send program at old.example.org.\nI'm afraid I wasn't able to deliver your message to the following addresses.\n\n<earlier.failure@old.example.org>:\n550 5.1.1 User unknown\n",
        });
        return sb.ToString();
    }

    private static string Headers(string subject) =>
        "From: Mail Delivery System <MAILER-DAEMON@relay.example.net>\nTo: bounces+12345-abcd-sender=school.example@em.relay.example.net\n" +
        $"Subject: {subject}\nDate: Mon, 30 Nov 2026 10:00:05 +0000\nMessage-ID: <queue.4f2a9@relay.example.net>\n";

    /// <summary>A text report of one family, its copy after the family's marker, after a plain "copy" marker, with no
    /// marker at all after a blank line, or attached as message/rfc822.</summary>
    private static Shape TextReport(Random r, int family, bool attach = true)
    {
        var rcpts = Recipients(r);
        var report = FamilyReport(r, family, rcpts, out var marker);
        var copy = Copy(r, rcpts);
        var subject = r.Next(4) == 0 ? "School trip" : "Undelivered Mail Returned to Sender";
        string text;
        switch (r.Next(attach ? 4 : 3))
        {
            case 0 when marker.Length > 0: text = Headers(subject) + "\n" + report + marker + copy; break;
            case 1: text = Headers(subject) + "\n" + report + "--- Below this line is a copy of the message.\n\n" + copy; break;
            case 2: text = Headers(subject) + "\n" + report + "\n" + copy; break;
            default:
                text = Headers(subject) + "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b1\"\n\n--b1\nContent-Type: text/plain\n\n" +
                       report + "\n--b1\nContent-Type: message/rfc822\n\n" + copy + "\n--b1--\n";
                break;
        }
        return new Shape(text, rcpts);
    }

    /// <summary>An RFC 3464 report whose text part carries prose and the MTA's own transcript, and whose per-message fields
    /// name the reporting and sending hosts and an envelope id.</summary>
    private static Shape Dsn(Random r)
    {
        var rcpts = Recipients(r);
        var sb = new StringBuilder(Headers("Undelivered Mail Returned to Sender"));
        sb.Append("MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"rpt\"\n\n--rpt\nContent-Type: text/plain\n\n");
        sb.Append($"This is the mail system at host {Mta}.\n\n").Append(SomeProse(r));
        sb.Append(">>> MAIL FROM:<bounces+12345-abcd-sender=school.example@em.relay.example.net>\n<<< 250 2.1.0 <sender@school.example> ok\n\n");
        foreach (var a in rcpts) sb.Append($"<{a}>: host mx.{Domain(a)} said: 550 5.1.1 User unknown\n");
        sb.Append("\n--rpt\nContent-Type: message/delivery-status\n\n");
        sb.Append($"Reporting-MTA: dns; {Mta}\nReceived-From-MTA: dns; school.example\nX-Postfix-Sender: rfc822; sender@school.example\n");
        sb.Append("Original-Envelope-Id: 20261130100000.abc123@school.example\nArrival-Date: Mon, 30 Nov 2026 10:00:00 +0000\n");
        foreach (var a in rcpts)
            sb.Append($"\nFinal-Recipient: rfc822; {a}\nAction: failed\nStatus: 5.1.1\nRemote-MTA: dns; mx.{Domain(a)}\nDiagnostic-Code: smtp; 550 5.1.1 <{a}>: User unknown\n");
        sb.Append(r.Next(2) == 0 ? "\n--rpt\nContent-Type: message/rfc822\n\n" : "\n--rpt\nContent-Type: text/rfc822-headers\n\n");
        sb.Append(Copy(r, rcpts)).Append("\n--rpt--\n");
        return new Shape(sb.ToString(), rcpts);
    }

    /// <summary>A person forwarding a report they received ("Fwd:"), the report's own header block quoted above it.</summary>
    private static Shape Forwarded(Random r)
    {
        var inner = TextReport(r, r.Next(6), attach: false);
        var body = inner.Text[(inner.Text.IndexOf("\n\n", StringComparison.Ordinal) + 2)..];
        var text = "From: Forwarder <forwarder@home.example.org>\nTo: office@school.example\nSubject: Fwd: Undelivered Mail Returned to Sender\n" +
                   "Date: Mon, 30 Nov 2026 11:00:00 +0000\nMessage-ID: <fwd1@home.example.org>\n\nThis came back, can you check?\n\n" +
                   "---------- Forwarded message ---------\nFrom: Mail Delivery System <MAILER-DAEMON@relay.example.net>\n" +
                   "Date: Mon, 30 Nov 2026 10:00:05 +0000\nSubject: Undelivered Mail Returned to Sender\nTo: forwarder@home.example.org\n\n" + body;
        return new Shape(text, inner.Recipients);
    }

    /// <summary>List managers' notices passing a bounce on (Mailman attached, ezmlm inline), their own text naming the list's
    /// machinery and owners with prose of its own.</summary>
    private static Shape ListWrapped(Random r)
    {
        var inner = r.Next(3) == 0 ? Dsn(r) : TextReport(r, r.Next(6));
        var prose = SomeProse(r);
        var text = r.Next(2) == 0
            ? "From: parents-bounces@lists.example.net\nTo: parents-owner@lists.example.net\nSubject: Uncaught bounce notification\n" +
              "List-Id: Parents <parents.lists.example.net>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"mm\"\n\n--mm\n" +
              "Content-Type: text/plain\n\nThe attached message was received as a bounce, but either the bounce\nformat was not recognized, or no member " +
              "addresses could be extracted\nfrom it. " + prose + "\n--mm\nContent-Type: message/rfc822\n\n" + inner.Text + "\n--mm--\n"
            : "From: parents-help@lists.example.net\nTo: office@school.example\nSubject: ezmlm warning\nReturn-Path: <parents-return-warn-1-x=y@lists.example.net>\n\n" +
              "Hi! This is the ezmlm program. I'm managing the\nparents@lists.example.net mailing list.\n\n" + prose +
              "Messages to you from the parents mailing list seem to\nhave been bouncing. To unsubscribe, send a message to:\n   <parents-unsubscribe@lists.example.net>\n\n" +
              "--- Below this line is a copy of the bounce message I received.\n\n" + inner.Text;
        return new Shape(text, inner.Recipients);
    }

    private static List<string> Check(Func<Random, Shape> generate, int seed, bool recallOnly = false)
    {
        var r = new Random(seed);
        var wrong = new List<string>();
        for (var i = 0; i < PerShape; i++)
        {
            var s = generate(r);
            var text = r.Next(2) == 0 ? s.Text.Replace("\n", "\r\n") : s.Text;
            var report = BounceAnalyzer.AnalyzeUnguarded(Encoding.UTF8.GetBytes(text));
            var got = report.Recipients.Select(rc => rc.Address.ToLowerInvariant()).ToHashSet();
            var want = s.Recipients.ToHashSet();
            bool ok = recallOnly ? want.IsSubsetOf(got) : got.SetEquals(want) && !got.Overlaps(Bystanders);
            if (!ok) wrong.Add($"want [{string.Join(", ", want)}] got {report.Kind} [{string.Join(", ", got)}]\n{s.Text}");
        }
        return wrong;
    }

    private static void AssertNone(List<string> wrong, string what) =>
        Assert.True(wrong.Count == 0, $"{wrong.Count}/{PerShape} {what} with the wrong recipients, e.g.:\n{string.Join("\n---\n", wrong.Take(3))}");

    [Theory]
    [InlineData(0)] [InlineData(1)] [InlineData(2)] [InlineData(3)] [InlineData(4)] [InlineData(5)]
    public void Text_reports_name_exactly_their_failed_recipients_and_no_bystander(int family) =>
        AssertNone(Check(r => TextReport(r, family), 20261210 + family), $"family {family} reports");

    [Fact]
    public void Delivery_status_reports_name_exactly_their_failed_recipients_and_no_bystander() =>
        AssertNone(Check(Dsn, 20261220), "delivery-status reports");

    [Fact]
    public void A_forwarded_report_names_the_recipients_of_the_report_it_forwards() =>
        AssertNone(Check(Forwarded, 20261221), "forwarded reports");

    [Fact]
    public void List_managers_wrappers_name_only_the_enclosed_reports_recipients() =>
        AssertNone(Check(ListWrapped, 20261222), "list notices");

    /// <summary>fml's refusal of a non-member's post names the list it refused for, then tells the reader where to send
    /// commands, the same command address its own List-Subscribe field names: the list is the answer, never the command address.</summary>
    [Fact]
    public void A_list_managers_refusal_names_its_list_not_its_command_address()
    {
        var text = "From: class7-admin@fml.example.jp\nTo: sender@school.example\nSubject: You are not member (class7 ML)\n" +
                   "List-Subscribe: <mailto:class7-ctl@fml.example.jp?body=subscribe>\nX-MLServer: fml\n\n" +
                   "You are not a member of this mailing list <class7@fml.example.jp>.\n\nIf you know the general guide of this list, please send mail with\n" +
                   "the mail body\n\n\tguide\n\nto the address\n\n\tclass7-ctl@fml.example.jp\n\nwhere guide is equal to GUIDE for case insensitive.\n";
        var report = BounceAnalyzer.AnalyzeUnguarded(Encoding.UTF8.GetBytes(text));
        Assert.Equal(["class7@fml.example.jp"], report.Recipients.Select(rc => rc.Address.ToLowerInvariant()));
    }

    [Fact]
    public void Every_generated_report_finds_all_its_recipients()
    {
        var wrong = Check(r => (r.Next(4)) switch { 0 => Dsn(r), 1 => ListWrapped(r), 2 => Forwarded(r), _ => TextReport(r, r.Next(6)) }, 20261223, recallOnly: true);
        AssertNone(wrong, "reports");
    }
}

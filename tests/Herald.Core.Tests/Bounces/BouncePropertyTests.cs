using System.Text;
using Herald.Core.Bounces;
using MimeKit;

namespace Herald.Core.Tests.Bounces;

/// <summary>
/// Properties that hold for every message, checked on thousands of delivery reports generated here (not corpus
/// samples): random actions, status and reply codes, diagnostics, quoted originals full of other people's addresses,
/// and structural damage (no blank line, a wrong content type on the status part, CRLF or LF, truncation).
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
        "",
    ];

    /// <summary>Addresses that appear in the returned message but are not the failed recipient: its sender, its other
    /// recipients, a mailing list, a person quoted in the text.</summary>
    private static readonly string[] Bystanders =
    [
        "sender@school.example", "office@school.example", "list-owner@lists.example.net", "postmaster@relay.example.net",
        "someone.quoted@elsewhere.example", "cc.person@example.com",
    ];

    private sealed record Generated(byte[] Bytes, string Recipient, string Action, string Status, string Reply, bool Whole);

    private static Generated Generate(Random r)
    {
        var rcpt = $"user{r.Next(1000)}@dest{r.Next(20)}.example.org";
        var domain = rcpt[(rcpt.IndexOf('@') + 1)..];
        var cls = r.Next(3) switch { 0 => '4', 1 => '5', _ => '2' };
        var status = $"{cls}.{r.Next(8)}.{r.Next(8)}";
        var reply = cls == '2' ? "250" : $"{cls}{r.Next(5)}{r.Next(10)}";
        var action = Actions[r.Next(Actions.Length)];
        var diagnostic = Diagnostics[r.Next(Diagnostics.Length)].Replace("{reply}", reply).Replace("{status}", status)
            .Replace("{rcpt}", rcpt).Replace("{domain}", domain);
        var nl = r.Next(2) == 0 ? "\r\n" : "\n";
        var statusType = r.Next(5) == 0 ? "text/plain" : "message/delivery-status";
        var blank = r.Next(6) == 0 ? "" : nl; // a report whose per-message and per-recipient fields run together
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

            Reporting-MTA: dns; relay.example.net
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
        var bytes = Encoding.UTF8.GetBytes(text);
        var whole = r.Next(8) != 0;
        if (!whole) bytes = bytes[..r.Next(bytes.Length / 2, bytes.Length)]; // truncated in transit
        return new Generated(bytes, rcpt, action, status, reply, whole);
    }

    private static IEnumerable<(Generated Message, BounceReport Report)> Analysed()
    {
        var r = new Random(20261201);
        for (var i = 0; i < Messages; i++)
        {
            var g = Generate(r);
            MimeMessage m;
            try { m = MimeMessage.Load(new MemoryStream(g.Bytes)); }
            catch (FormatException) { continue; }
            yield return (g, BounceAnalyzer.AnalyzeUnguarded(m));
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
            try { BounceAnalyzer.AnalyzeUnguarded(MimeMessage.Load(new MemoryStream(g.Bytes))); }
            catch (FormatException) { }
            catch (Exception e) { failures.Add($"message {i}: {e.GetType().Name}: {e.Message}"); }
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures.Take(10)));
    }

    [Fact]
    public void A_4x_status_or_an_action_other_than_failed_never_makes_a_hard_bounce()
    {
        var wrong = Analysed()
            .SelectMany(x => x.Report.Recipients.Select(rcpt => (x.Message, Rcpt: rcpt)))
            .Where(x => x.Rcpt.Hard && (x.Rcpt.Status?.StartsWith('4') == true || x.Message.Status.StartsWith('4')
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
}

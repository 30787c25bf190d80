using System.Text;
using Herald.Core.Bounces;
using Herald.Core.Bounces.Rules;

namespace Herald.Core.Tests.Bounces;

/// <summary>Status-code conventions and provider/family rules, on messages written here (no corpus sample).</summary>
public class StatusConventionTests
{
    private static BouncedRecipient Only(string eml)
    {
        var r = BounceAnalyzer.Analyze(new MemoryStream(Encoding.UTF8.GetBytes(eml.Replace("\r\n", "\n"))));
        Assert.Equal(MessageKind.Bounce, r.Kind);
        return Assert.Single(r.Recipients);
    }

    private static string Dsn(string notice, string fields) => $"""
        From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example.net>
        To: sender@example.com
        Subject: Delivery Status Notification (Failure)
        MIME-Version: 1.0
        Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

        --b1
        Content-Type: text/plain

        {notice}

        --b1
        Content-Type: message/delivery-status

        {fields}

        --b1--

        """;

    [Fact]
    public void Expired_status_gives_way_to_the_last_attempts_own_code() // RFC 3463 §3.5, X.4.7
    {
        Assert.Equal("4.4.2", StatusCodes.Underlying("4.4.7", "554 4.4.7 Message expired: unable to deliver in 840 minutes.<421 4.4.2 Connection timed out>"));
        Assert.Equal("4.4.7", StatusCodes.Underlying("4.4.7", "554 4.4.7 Message expired"));
        Assert.Equal("5.1.1", StatusCodes.Underlying("5.1.1", "550 5.1.1 then 4.4.2"));
    }

    [Fact]
    public void Expired_dsn_keeps_its_reason_but_reports_the_underlying_status()
    {
        var r = Only(Dsn("Delivery failed.", """
            Reporting-MTA: dns; out.example.net

            Final-Recipient: rfc822; someone@example.org
            Action: failed
            Status: 4.4.7
            Diagnostic-Code: smtp; 554 4.4.7 Message expired: unable to deliver in 840 minutes.<421 4.4.2 Connection timed out>
            """));
        Assert.Equal(("4.4.2", BounceReason.Expired, false), (r.Status, r.Reason, r.Hard));
    }

    [Fact]
    public void Ses_receipt_rule_bounce_is_the_owners_filter_not_an_unknown_user()
    {
        var r = Only(Dsn("This message could not be delivered.", """
            Reporting-MTA: dns; inbound-smtp.eu-west-1.amazonaws.com

            Action: failed
            Final-Recipient: rfc822; someone@example.org
            Diagnostic-Code: smtp; 550 5.1.1 Mailbox does not exist
            Status: 5.1.1
            """));
        Assert.Equal((BounceReason.Filtered, false), (r.Reason, r.Hard));
    }

    [Fact]
    public void Yahoo_tss04_from_yahoos_own_host_is_a_refused_sender_and_quoted_elsewhere_bad_reputation()
    {
        const string tss04 = "421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes";
        var r = Only(Dsn("Delivery delayed.", $"""
            Reporting-MTA: dns; out.example.net

            Final-Recipient: rfc822; someone@yahoo.com
            Action: delayed
            Status: 4.7.0
            Remote-MTA: dns; mta7.am0.yahoodns.net
            Diagnostic-Code: smtp; {tss04}
            """));
        Assert.Equal(BounceReason.Rejected, r.Reason);
        Assert.Equal(BounceReason.BadReputation, BounceAnalyzer.ClassifyReply(421, "4.7.0", tss04).Reason);
    }

    [Theory]
    [InlineData("AUP#In-1310", BounceReason.TooManyConn)]
    [InlineData("AUP#O-1000", BounceReason.Blocked)]
    [InlineData("AUP#I-1120", BounceReason.RequirePtr)]
    [InlineData("AUP#In-1400", BounceReason.Speeding)]
    public void Spectrum_numbered_codes_decide(string code, BounceReason expected)
    {
        var (reason, hard) = BounceAnalyzer.ClassifyReply(550, "5.1.0",
            $"<id@example.com> sender rejected. Please see https://www.spectrum.net/support/internet/understanding-email-error-codes for more information. {code}");
        Assert.Equal((expected, false), (reason, hard));
    }

    private const string EximHead = """
        From: Mail Delivery System <Mailer-Daemon@mx.example.net>
        To: sender@example.com
        Subject: Mail delivery failed: returning message to sender
        X-Failed-Recipients: someone@example.org

        This message was created automatically by mail delivery software.

        A message that you sent could not be delivered to one or more of its
        recipients. This is a permanent error. The following address(es) failed:

          someone@example.org

        """;

    [Fact]
    public void Exim_retry_timeout_has_a_temporary_pseudo_status() =>
        Assert.Equal(("4.0.947", BounceReason.Expired), (Only(EximHead + "    retry timeout exceeded\n").Status, Only(EximHead + "    retry timeout exceeded\n").Reason));

    [Fact]
    public void Exim_refusal_after_mail_from_is_coded_onhold_whatever_the_wording()
    {
        var r = Only(EximHead + """
                host mx.example.org [192.0.2.2]
                SMTP error from remote mail server after MAIL FROM:<sender@example.com> SIZE=1024:
                550 Your address 192.0.2.1 is on our block list
            """ + "\n");
        Assert.Equal("5.0.901", r.Status);
        Assert.Equal(BounceReason.Blocked, r.Reason);
    }

    [Fact]
    public void Opensmtpd_placeholder_status_is_ignored_and_its_pseudo_code_is_permanent()
    {
        var r = Only("""
            From: Mailer Daemon <MAILER-DAEMON@mx.example.net>
            To: sender@example.com
            Subject: Delivery status notification: delayed
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="b2"

            --b2
            Content-Type: text/plain

                Hi!

                This is the MAILER-DAEMON, please DO NOT REPLY to this email.

                A message is delayed for more than 4 hours for the following
                list of recipients:

            someone@example.org: Envelope expired

                Please note that this is only a temporary failure report.

            --b2
            Content-Type: message/delivery-status

            Reporting-MTA: dns; mx.example.net

            Final-Recipient: rfc822; someone@example.org
            Action: delayed
            Status: 4.4.7

            --b2--

            """);
        Assert.Equal(("5.0.947", BounceReason.Expired), (r.Status, r.Reason));
    }
}

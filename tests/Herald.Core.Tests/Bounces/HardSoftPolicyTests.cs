using System.Text;
using Herald.Core.Bounces;

namespace Herald.Core.Tests.Bounces;

/// <summary>Hard only for a permanent failure whose reason says the address is dead; on messages written here.</summary>
public class HardSoftPolicyTests
{
    [Theory]
    [InlineData(BounceReason.UserUnknown, "5.1.1", "550", "failed", true)]
    [InlineData(BounceReason.UserUnknown, "4.1.1", "450", "failed", false)]   // a 4.x status is never permanent
    [InlineData(BounceReason.UserUnknown, null, "450", "", false)]           // nor a 4yz reply without a status
    [InlineData(BounceReason.UserUnknown, "5.1.1", "550", "delayed", false)] // a warning, whatever its codes say
    [InlineData(BounceReason.UserUnknown, "5.1.1", "550", "relayed", false)]
    [InlineData(BounceReason.HostUnknown, "4.0.0", null, "failed", false)]
    [InlineData(BounceReason.HostUnknown, "5.1.2", null, "", true)]
    [InlineData(BounceReason.NotAccept, "5.1.10", "556", "failed", true)]
    [InlineData(BounceReason.NotAccept, "4.1.10", null, "failed", false)]
    [InlineData(BounceReason.MailboxFull, "5.2.2", "552", "failed", false)]  // 5.x, but says nothing final about the address
    [InlineData(BounceReason.Suspend, "5.2.1", "550", "failed", false)]
    [InlineData(BounceReason.Filtered, "5.7.1", "550", "failed", false)]
    public void Hard_needs_a_permanent_failure_and_a_dead_address(BounceReason reason, string? status, string? reply, string action, bool hard) =>
        Assert.Equal(hard, HardSoftPolicy.IsHard(reason, status, reply, action));

    private static BouncedRecipient Only(string eml)
    {
        var r = BounceAnalyzer.Analyze(new MemoryStream(Encoding.UTF8.GetBytes(eml.Replace("\r\n", "\n"))));
        return Assert.Single(r.Recipients);
    }

    private static string Dsn(string action, string status, string diagnostic) => $"""
        From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example.net>
        To: sender@example.com
        Subject: Delivery Status Notification
        MIME-Version: 1.0
        Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

        --b1
        Content-Type: text/plain

        There was a problem delivering your message to someone@example.org.

        --b1
        Content-Type: message/delivery-status

        Reporting-MTA: dns; relay.example.net

        Final-Recipient: rfc822; someone@example.org
        Action: {action}
        Status: {status}
        Diagnostic-Code: smtp; {diagnostic}

        --b1--

        """;

    [Fact]
    public void A_temporary_dns_failure_of_the_recipients_domain_is_not_a_hard_bounce()
    {
        var r = Only(Dsn("failed", "4.0.0", "DNS Error: DNS type 'mx' lookup of example.org responded with code SERVFAIL; temporary failure, will retry"));
        Assert.False(r.Hard);
    }

    [Fact]
    public void A_delayed_report_quoting_an_unknown_user_is_not_a_hard_bounce()
    {
        var r = Only(Dsn("delayed", "5.1.1", "550 5.1.1 <someone@example.org>: Recipient address rejected: User unknown"));
        Assert.Equal("delayed", r.Action);
        Assert.False(r.Hard);
    }

    [Fact]
    public void A_failed_report_of_an_unknown_user_is_a_hard_bounce()
    {
        var r = Only(Dsn("failed", "5.1.1", "550 5.1.1 <someone@example.org>: Recipient address rejected: User unknown"));
        Assert.Equal((BounceReason.UserUnknown, true), (r.Reason, r.Hard));
    }
}

using Herald.Core.Deliveries;
using Herald.Email;

namespace Herald.Tests.Email;

/// <summary>The decision table of SMTP answers (docs/email.md), for replies the test relay cannot easily be made to give.</summary>
public class SmtpRepliesTests
{
    [Theory]
    [InlineData(250, "2.0.0 Ok: queued as 4Bx", "sent", null, true)]
    [InlineData(450, "4.7.1 <a@b.example>: Recipient address rejected: Greylisted", "soft_bounce", null, false)]
    [InlineData(421, "4.3.2 Service shutting down", "soft_bounce", null, false)]
    [InlineData(452, "4.2.2 Mailbox full", "soft_bounce", "mailboxfull", false)]
    [InlineData(550, "5.1.1 <a@b.example>: Recipient address rejected: User unknown", "hard_bounce", "userunknown", true)]
    [InlineData(552, "5.3.4 Message size exceeds fixed limit", "rejected", "mesgtoobig", false)]
    [InlineData(550, "5.7.1 Message rejected by policy", "rejected", "policyviolation", true)]
    [InlineData(554, "5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org", "rejected", "blocked", true)]
    public void A_reply_maps_to_a_status_and_says_whether_the_address_is_to_blame(int code, string text, string status, string? reason, bool blames)
    {
        var r = SmtpReplies.Map(code, text);
        Assert.Equal(status, r.Status.Name());
        if (reason is not null) Assert.Equal(reason, r.Reason);
        Assert.Equal(blames, r.BlamesAddress);
        Assert.Equal($"{code} {text}", r.Detail);
        Assert.Equal(code, r.ReplyCode);
        Assert.Equal(text[..5], r.EnhancedStatus);
    }

    [Fact]
    public void A_refused_sender_is_rejected_and_never_blamed_on_the_recipient()
    {
        var r = SmtpReplies.Map(550, "5.1.1 <bounces+1-1-x@bounce.example>: Sender address rejected: User unknown", senderRefused: true);
        Assert.Equal(DeliveryStatus.Rejected, r.Status);
        Assert.False(r.BlamesAddress);
    }

    [Fact]
    public void A_reply_without_an_enhanced_status_still_maps()
    {
        var r = SmtpReplies.Map(554, "Transaction failed: spam message rejected");
        Assert.Equal(DeliveryStatus.Rejected, r.Status);
        Assert.Null(r.EnhancedStatus);
        Assert.False(string.IsNullOrEmpty(r.Reason));
    }
}

using Herald.Core.Bounces;

namespace Herald.Core.Tests.Bounces;

public class ReasonRuleTests
{
    [Fact]
    public void Unknown_user_reply_at_rcpt_is_a_hard_userunknown() =>
        Assert.Equal((BounceReason.UserUnknown, true), BounceAnalyzer.ClassifyReply(550, "5.1.1", "5.1.1 <a@example.org>: Recipient address rejected: User unknown (in reply to RCPT TO command)"));

    [Fact]
    public void Mailbox_full_wording_wins_over_a_user_unknown_status() =>
        Assert.Equal(BounceReason.MailboxFull, BounceAnalyzer.ClassifyReply(550, "5.1.1", "mailbox full").Reason);

    [Fact]
    public void Full_mailbox_is_soft_even_with_a_permanent_code() =>
        Assert.False(BounceAnalyzer.ClassifyReply(552, "5.2.2", "Mailbox quota exceeded").Hard);

    [Fact]
    public void Dmarc_rejection_is_an_authfailure() =>
        Assert.Equal(BounceReason.AuthFailure, BounceAnalyzer.ClassifyReply(550, "5.7.26", "Unauthenticated email is not accepted due to domain's DMARC policy").Reason);

    [Fact]
    public void Null_mx_is_notaccept_and_hard_when_permanent() =>
        Assert.Equal((BounceReason.NotAccept, true), BounceAnalyzer.ClassifyReply(556, "5.1.10", "Recipient address has null MX"));

    [Fact]
    public void Positive_reply_is_delivered_and_not_a_bounce() =>
        Assert.Equal((BounceReason.Delivered, false), BounceAnalyzer.ClassifyReply(250, "2.0.0", "OK queued"));

    [Fact]
    public void Blocklisted_ip_is_blocked() =>
        Assert.Equal(BounceReason.Blocked, BounceAnalyzer.ClassifyReply(554, "5.7.1", "Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org").Reason);

    [Fact]
    public void Specific_reasons_are_tried_before_the_generic_block()
    {
        var order = Herald.Core.Bounces.Rules.ReasonOrder.Primary;
        Assert.True(Array.IndexOf(order, BounceReason.MailboxFull) < Array.IndexOf(order, BounceReason.UserUnknown));
        Assert.Equal(BounceReason.Blocked, order[^1]);
    }

    [Fact]
    public void Aol_ip_code_is_a_block_whatever_the_5_7_1_says() =>
        Assert.Equal((BounceReason.Blocked, false), BounceAnalyzer.ClassifyReply(554, "5.7.1", ":HVU:B1 https://postmaster.aol.com/error-codes#554hvub1 (in reply to MAIL FROM command)"));

    [Fact]
    public void A_block_list_named_reputation_is_still_a_block_list() =>
        Assert.Equal(BounceReason.Blocked, BounceAnalyzer.ClassifyReply(554, null, "Service unavailable; Client host [192.0.2.1] blocked using Barracuda Reputation; http://www.barracudanetworks.com/reputation/?r=1&ip=192.0.2.1").Reason);

    [Fact]
    public void Ip_reputation_wording_is_badreputation() =>
        Assert.Equal(BounceReason.BadReputation, BounceAnalyzer.ClassifyReply(451, "4.7.650", "The mail server [192.0.2.1] has been temporarily rate limited due to IP reputation.").Reason);

    [Fact]
    public void Relaying_refusal_with_a_user_unknown_status_is_norelaying() =>
        Assert.Equal(BounceReason.NoRelaying, BounceAnalyzer.ClassifyReply(550, "5.1.1", "Relaying denied").Reason);

    [Fact]
    public void User_unknown_after_data_is_a_filter_verdict() =>
        Assert.Equal(BounceReason.Filtered, BounceAnalyzer.ClassifyReply(550, null, "User unknown (in reply to end of DATA command)").Reason);

    [Theory]
    [InlineData(BounceReason.UserUnknown, "userunknown")]
    [InlineData(BounceReason.NotCompliantRfc, "notcompliantrfc")]
    [InlineData(BounceReason.RequirePtr, "requireptr")]
    [InlineData(BounceReason.FailedStartTls, "failedstarttls")]
    public void Reason_names_are_the_lowercase_vocabulary(BounceReason reason, string name)
    {
        Assert.Equal(name, reason.ToVocabulary());
        Assert.Equal(reason, BounceReasons.Parse(name));
    }

    [Theory]
    [InlineData("550-5.1.1 The email account", "5.1.1")]
    [InlineData("host 192.0.2.1 said 550 5.7.26 x", "5.7.26")]
    [InlineData("ip 10.0.0.1 only", null)]
    public void Enhanced_status_is_found_in_free_text(string text, string? status) =>
        Assert.Equal(status, Herald.Core.Bounces.Rules.StatusCodes.Find(text));
}

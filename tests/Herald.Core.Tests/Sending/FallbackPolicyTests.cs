using Herald.Core.Deliveries;
using Herald.Core.Sending;

namespace Herald.Core.Tests.Sending;

/// <summary>The fallback table of delivery-model.md: which status on which channel brings an essential announcement
/// to the other channel, and when it does not.</summary>
public class FallbackPolicyTests
{
    private static readonly Decision Queued = new(DeliveryStatus.Queued, "queued (essential)");

    private static FallbackFacts Facts(Channel ch, DeliveryStatus st, bool essential = true, DeliveryStatus? existing = null,
        Decision? decision = null, string? content = null, string? cause = "550 5.1.1 no such user") =>
        new(essential, ch, st, cause, existing, existing is null ? decision ?? Queued : null, content);

    [Theory]
    [InlineData(Channel.Email, DeliveryStatus.EmailMissing, Channel.Sms)]
    [InlineData(Channel.Email, DeliveryStatus.Dropped, Channel.Sms)]
    [InlineData(Channel.Email, DeliveryStatus.HardBounce, Channel.Sms)]
    [InlineData(Channel.Email, DeliveryStatus.Rejected, Channel.Sms)]
    [InlineData(Channel.Sms, DeliveryStatus.MobileMissing, Channel.Email)]
    [InlineData(Channel.Sms, DeliveryStatus.Dropped, Channel.Email)]
    [InlineData(Channel.Sms, DeliveryStatus.Failed, Channel.Email)]
    public void Each_row_of_the_table_falls_back_to_the_other_channel(Channel from, DeliveryStatus status, Channel to) =>
        Assert.Equal(to, FallbackPolicy.Target(essential: true, from, status));

    [Fact]
    public void No_other_status_on_either_channel_falls_back()
    {
        foreach (var ch in new[] { Channel.Email, Channel.Sms })
            foreach (var st in Enum.GetValues<DeliveryStatus>())
                if (!FallbackPolicy.Table.Any(r => r.From == ch && r.When == st))
                    Assert.Null(FallbackPolicy.Target(true, ch, st));
    }

    [Fact]
    public void A_non_essential_announcement_never_falls_back() =>
        Assert.All(FallbackPolicy.Table, r => Assert.Same(FallbackPolicy.Plan(Facts(r.From, r.When, essential: false)), FallbackPlan.None));

    [Fact]
    public void A_hard_bounce_falls_back_to_sms_and_the_log_says_why() =>
        Assert.Equal(new FallbackPlan(Channel.Sms, true, "fallback: email hard_bounce (550 5.1.1 no such user)"),
            FallbackPolicy.Plan(Facts(Channel.Email, DeliveryStatus.HardBounce)));

    [Theory]
    [InlineData(DeliveryStatus.Queued)]
    [InlineData(DeliveryStatus.Sent)]
    [InlineData(DeliveryStatus.Delivered)]
    [InlineData(DeliveryStatus.SoftBounce)]
    public void A_contact_reached_or_on_the_way_on_the_other_channel_gets_nothing_more_and_nothing_is_logged(DeliveryStatus existing) =>
        Assert.Same(FallbackPlan.None, FallbackPolicy.Plan(Facts(Channel.Email, DeliveryStatus.HardBounce, existing: existing)));

    [Fact]
    public void A_contact_whose_other_channel_failed_too_gets_no_fallback_and_the_log_says_so()
    {
        var plan = FallbackPolicy.Plan(Facts(Channel.Sms, DeliveryStatus.Failed, existing: DeliveryStatus.HardBounce));
        Assert.False(plan.Send);
        Assert.Contains("already has an email delivery (hard_bounce)", plan.Detail);
    }

    [Fact]
    public void A_contact_without_a_usable_number_gets_no_fallback_and_the_log_names_the_decision()
    {
        var plan = FallbackPolicy.Plan(Facts(Channel.Email, DeliveryStatus.EmailMissing,
            decision: new(DeliveryStatus.MobileMissing, "no usable mobile number"), cause: "no usable primary email"));
        Assert.Equal((Channel.Sms, false), (plan.To, plan.Send));
        Assert.Equal("no fallback by sms after email email_missing (no usable primary email): mobile_missing (no usable mobile number)", plan.Detail);
    }

    [Fact]
    public void An_announcement_without_an_sms_version_that_fits_gets_no_sms_fallback()
    {
        var problem = FallbackPolicy.ContentProblem(Channel.Sms, new string('a', 2000), null, null, smsMaxParts: 6);
        Assert.Equal("its text needs 14 SMS parts (GSM-7); the maximum is 6", problem);
        var plan = FallbackPolicy.Plan(Facts(Channel.Email, DeliveryStatus.HardBounce, content: problem));
        Assert.False(plan.Send);
        Assert.EndsWith(problem, plan.Detail);
    }

    [Fact]
    public void The_sms_text_is_the_sms_version_even_when_the_text_is_too_long() =>
        Assert.Null(FallbackPolicy.ContentProblem(Channel.Sms, new string('a', 2000), null, "School closed today.", smsMaxParts: 6));

    [Fact]
    public void An_announcement_with_html_only_has_an_email_version() =>
        Assert.Null(FallbackPolicy.ContentProblem(Channel.Email, null, "<p>Closed</p>", "Closed", 6));

    [Fact]
    public void An_sms_only_announcement_without_a_text_body_has_no_email_version() =>
        Assert.Equal("the announcement has no email text", FallbackPolicy.ContentProblem(Channel.Email, null, null, "Closed", 6));
}

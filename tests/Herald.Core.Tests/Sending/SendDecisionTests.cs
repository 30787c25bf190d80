using Herald.Core.Deliveries;
using Herald.Core.Sending;

namespace Herald.Core.Tests.Sending;

public class SendDecisionTests
{
    private static DeliveryStatus Decide(Channel channel = Channel.Email, string? address = "ann@school.example", bool optedOut = false,
        bool digest = false, bool blocked = false, bool essential = false) =>
        SendDecision.Decide(new RecipientFacts(channel, address, optedOut, digest, blocked, essential)).Status;

    [Fact]
    public void A_usable_address_with_no_preferences_is_queued() => Assert.Equal(DeliveryStatus.Queued, Decide());

    [Fact]
    public void A_missing_email_is_email_missing() => Assert.Equal(DeliveryStatus.EmailMissing, Decide(address: null));

    [Fact]
    public void A_missing_mobile_is_mobile_missing() => Assert.Equal(DeliveryStatus.MobileMissing, Decide(Channel.Sms, address: null));

    [Fact]
    public void A_missing_email_stays_missing_even_when_essential() =>
        Assert.Equal(DeliveryStatus.EmailMissing, Decide(address: null, essential: true));

    [Fact]
    public void An_opted_out_contact_is_opted_out() => Assert.Equal(DeliveryStatus.OptedOut, Decide(optedOut: true));

    [Fact]
    public void An_opted_out_contact_is_queued_when_the_announcement_is_essential() =>
        Assert.Equal(DeliveryStatus.Queued, Decide(optedOut: true, essential: true));

    [Fact]
    public void A_digest_contact_is_pending_digest() => Assert.Equal(DeliveryStatus.PendingDigest, Decide(digest: true));

    [Fact]
    public void A_digest_contact_is_queued_when_the_announcement_is_essential() =>
        Assert.Equal(DeliveryStatus.Queued, Decide(digest: true, essential: true));

    [Fact]
    public void A_blocked_address_is_dropped() => Assert.Equal(DeliveryStatus.Dropped, Decide(blocked: true));

    [Fact]
    public void A_digest_contact_whose_address_failed_is_dropped_at_the_send_not_held() =>
        Assert.Equal(DeliveryStatus.Dropped, Decide(blocked: true, digest: true));

    [Fact]
    public void A_blocked_address_is_dropped_even_when_the_announcement_is_essential() =>
        Assert.Equal(DeliveryStatus.Dropped, Decide(blocked: true, essential: true));

    [Fact]
    public void A_blocked_address_is_dropped_even_when_essential_overrides_opt_out_and_digest() =>
        Assert.Equal(DeliveryStatus.Dropped, Decide(blocked: true, optedOut: true, digest: true, essential: true));

    [Fact]
    public void Sms_has_no_digest_so_a_digest_contact_gets_the_sms_queued() =>
        Assert.Equal(DeliveryStatus.Queued, Decide(Channel.Sms, "+447700900123", digest: true));

    [Fact]
    public void Sms_opt_out_is_honoured() =>
        Assert.Equal(DeliveryStatus.OptedOut, Decide(Channel.Sms, "+447700900123", optedOut: true));

    [Fact]
    public void Every_decision_gives_a_reason() =>
        Assert.False(string.IsNullOrWhiteSpace(SendDecision.Decide(new RecipientFacts(Channel.Email, null, false, false, false, false)).Reason));
}

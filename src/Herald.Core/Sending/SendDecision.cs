using Herald.Core.Deliveries;

namespace Herald.Core.Sending;

/// <summary>What Herald knows about one recipient on one channel when an announcement is sent.</summary>
/// <param name="Channel">Email or SMS.</param>
/// <param name="Address">The usable, normalised address or E.164 number; null when missing or malformed.</param>
/// <param name="OptedOut">The contact opted out of the announcement's category on this channel.</param>
/// <param name="WantsDigest">The contact receives a digest instead of single emails.</param>
/// <param name="AddressBlocked">The address is marked failed or suppressed.</param>
/// <param name="Essential">The announcement is essential.</param>
public sealed record RecipientFacts(Channel Channel, string? Address, bool OptedOut, bool WantsDigest, bool AddressBlocked, bool Essential);

/// <summary>The first event of a delivery: the status it starts in and why, in a few words.</summary>
public sealed record Decision(DeliveryStatus Status, string Reason);

/// <summary>
/// The send decision of delivery-model.md as an ordered rule list: the first rule that matches decides.
/// Essential announcements skip opt-out and digest, never a failed or suppressed address.
/// </summary>
public static class SendDecision
{
    private sealed record Rule(Func<RecipientFacts, bool> Applies, Func<RecipientFacts, Decision> Decide);

    private static readonly Rule[] Rules =
    [
        new(f => f.Address is null, f => f.Channel == Channel.Email
            ? new(DeliveryStatus.EmailMissing, "no usable primary email")
            : new(DeliveryStatus.MobileMissing, "no usable mobile number")),
        new(f => f.OptedOut && !f.Essential, _ => new(DeliveryStatus.OptedOut, "opted out of this category")),
        // A failed or suppressed address is dropped before the digest would hold it: staff see it at once, not when
        // the digest falls due.
        new(f => f.AddressBlocked, _ => new(DeliveryStatus.Dropped, "address marked failed or suppressed")),
        new(f => f.Channel == Channel.Email && f.WantsDigest && !f.Essential,
            _ => new(DeliveryStatus.PendingDigest, "held for the contact's digest")),
        new(_ => true, f => new(DeliveryStatus.Queued, f.Essential ? "queued (essential)" : "queued")),
    ];

    /// <summary>Decides the first status of a delivery.</summary>
    public static Decision Decide(RecipientFacts facts) => Rules.First(r => r.Applies(facts)).Decide(facts);
}

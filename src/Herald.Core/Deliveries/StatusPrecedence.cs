namespace Herald.Core.Deliveries;

/// <summary>
/// Decides whether an incoming event moves a delivery's status. Feedback arrives late, twice and
/// out of order (delivery-model.md), so the current status only ever moves up this table; equal
/// ranks let the later event win, which is what a retry cycle needs (sent ↔ soft_bounce).
/// </summary>
public static class StatusPrecedence
{
    /// <summary>
    /// Ranks of the statuses a sent message can reach. Spam outranks everything: a complaint after
    /// an open is still a complaint. A late hard bounce does not undo proof of receipt (delivered,
    /// opened, clicked), and a late delivered/opened does move a bounced delivery up because it is
    /// the stronger evidence.
    /// </summary>
    private static readonly Dictionary<DeliveryStatus, int> Rank = new()
    {
        [DeliveryStatus.Queued] = 0,
        [DeliveryStatus.PendingDigest] = 0,
        [DeliveryStatus.Sent] = 10,
        [DeliveryStatus.SoftBounce] = 10,
        [DeliveryStatus.Rejected] = 20,
        [DeliveryStatus.Failed] = 20,
        [DeliveryStatus.HardBounce] = 21,
        [DeliveryStatus.Delivered] = 30,
        [DeliveryStatus.Opened] = 40,
        [DeliveryStatus.Clicked] = 50,
        [DeliveryStatus.Spam] = 60,
    };

    /// <summary>
    /// Decisions that mean nothing was sent in this attempt. No feedback can apply to them; only a new
    /// attempt (a resend, a digest release) starts over. They may replace queued or pending_digest,
    /// because the dispatcher re-checks an address that failed between the send and the dispatch.
    /// </summary>
    private static readonly HashSet<DeliveryStatus> NotAttempted =
    [
        DeliveryStatus.EmailMissing, DeliveryStatus.MobileMissing, DeliveryStatus.OptedOut, DeliveryStatus.Dropped,
    ];

    /// <summary>True when a delivery in <paramref name="current"/> (since <paramref name="currentAt"/>)
    /// should take <paramref name="incoming"/> (which happened at <paramref name="incomingAt"/>).</summary>
    public static bool Changes(DeliveryStatus current, DateTimeOffset currentAt, DeliveryStatus incoming, DateTimeOffset incomingAt)
    {
        if (current == incoming) return false;
        if (NotAttempted.Contains(current)) return false;
        if (NotAttempted.Contains(incoming)) return Rank[current] == 0;
        var (from, to) = (Rank[current], Rank[incoming]);
        return to > from || (to == from && incomingAt >= currentAt);
    }

    /// <summary>Herald's own send decisions: only Herald sets them (when it sends, resends or re-checks an address
    /// before dispatch); feedback from outside can never claim one.</summary>
    private static readonly HashSet<DeliveryStatus> Decisions =
    [
        DeliveryStatus.Queued, DeliveryStatus.EmailMissing, DeliveryStatus.MobileMissing, DeliveryStatus.OptedOut,
        DeliveryStatus.PendingDigest, DeliveryStatus.Dropped,
    ];

    /// <summary>True for a status only Herald's own decisions set (queued, missing, opted out, digest, dropped).</summary>
    public static bool IsHeraldsDecision(DeliveryStatus status) => Decisions.Contains(status);

    /// <summary>True for the statuses that mean nothing was sent in this attempt.</summary>
    public static bool IsNotAttempted(DeliveryStatus status) => NotAttempted.Contains(status);

    /// <summary>What an event does to the address (or number) itself, beyond this one delivery.</summary>
    public static AddressState? AddressEffect(DeliveryStatus incoming) => incoming switch
    {
        DeliveryStatus.HardBounce => AddressState.Failed,
        DeliveryStatus.Failed => AddressState.Failed,
        DeliveryStatus.Spam => AddressState.Suppressed,
        _ => null,
    };
}

/// <summary>The state of an email address or mobile number after feedback; either one drops later sends.</summary>
public enum AddressState
{
    /// <summary>A hard bounce (or a failed SMS) said the address does not work.</summary>
    Failed,
    /// <summary>A spam complaint: nothing more goes to it until support resets it.</summary>
    Suppressed,
}

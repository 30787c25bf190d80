namespace Herald.Core.Deliveries;

/// <summary>Feedback a transport already knows will follow (only the sandbox's simulator makes these).</summary>
public sealed record FollowUp(DeliveryStatus? Status, EventSource Source, string Detail, string? Reason = null);

/// <summary>The transport's synchronous answer.</summary>
/// <param name="Status">sent, soft_bounce, hard_bounce, rejected or failed.</param>
/// <param name="Detail">The provider's exact reply, kept in the log.</param>
/// <param name="ReplyCode">SMTP reply code when there is one.</param>
/// <param name="EnhancedStatus">RFC 3463 status code when there is one.</param>
/// <param name="Reason">Bounce reason (vocabulary of delivery-model.md).</param>
/// <param name="BlamesAddress">False when the failure is not the address's fault (see DeliveryEvent).</param>
/// <param name="Untried">Nothing went on the wire: the try does not count and the delivery is due again at once.</param>
public sealed record TransportResult(DeliveryStatus Status, string Detail, int? ReplyCode = null, string? EnhancedStatus = null,
    string? Reason = null, IReadOnlyList<FollowUp>? FollowUps = null, bool BlamesAddress = true, bool Untried = false)
{
    /// <summary>Given back untried after waiting past the claim's deadline to start (<paramref name="waitedFor"/>):
    /// due again at once, never the address's fault.</summary>
    public static TransportResult NotAttempted(string waitedFor) =>
        new(DeliveryStatus.SoftBounce, $"not attempted: waited too long for {waitedFor}", null, "4.4.5", "toomanyconn", BlamesAddress: false, Untried: true);
}

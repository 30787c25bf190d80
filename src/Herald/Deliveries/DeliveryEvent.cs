using Herald.Core.Deliveries;

namespace Herald.Deliveries;

/// <summary>One piece of feedback about one delivery, from any source.</summary>
/// <param name="DeliveryId">The delivery it is about.</param>
/// <param name="Status">The status it reports; null for an event that only goes into the log (an auto-reply).</param>
/// <param name="Source">Where it came from.</param>
/// <param name="Detail">Raw detail for the log: the SMTP reply, the DSN's diagnostic, the provider's error. Untrusted text.</param>
/// <param name="ProviderEventId">The provider's id for the event; a second event with the same id changes nothing.</param>
/// <param name="OccurredAt">When it happened, as the source says.</param>
/// <param name="Reason">Short reason kept on the delivery for the report (e.g. <c>userunknown</c>).</param>
/// <param name="NextTryAt">For a soft bounce Herald itself will retry: when. Without it, a soft bounce from feedback
/// means the relay or provider keeps trying, and the delivery settles by a deadline (<c>Herald:Email:DelayedSettleAfter</c>).</param>
/// <param name="BlamesAddress">False when a failure is not the address's fault (an SMS whose retries ran out, a text
/// too long to send): the delivery fails but the number is not marked failed.</param>
/// <param name="Attempt">The attempt the feedback is about, when the source knows it (a VERP token, a signed DLR URL).
/// Feedback about an earlier attempt than the delivery's current one only goes into the log: a late bounce of the
/// message before a resend must not overrule what became of the resend.</param>
/// <param name="Actor">Who wrote it through the API (the key's name), shown in the full log.</param>
/// <param name="MessageId">The Message-ID of the attempt, when the event is the transport's answer to it.</param>
/// <param name="KeyId">The API key (its id) that posted it; null for Herald's own feedback (bounces, receipts, webhooks
/// that carry no key).</param>
public sealed record DeliveryEvent(
    long DeliveryId, DeliveryStatus? Status, EventSource Source, string? Detail, string? ProviderEventId,
    DateTimeOffset OccurredAt, string? Reason = null, DateTimeOffset? NextTryAt = null, bool BlamesAddress = true,
    int? Attempt = null, string? Actor = null, string? MessageId = null, long? KeyId = null);

/// <summary>One request to the open pixel or a tracked link, for <see cref="DeliveryLedger.Track(TrackingHit)"/>.</summary>
/// <param name="Link">0 for the open pixel, n for the message's n-th tracked link.</param>
/// <param name="Url">The link's URL (clicks), for the log.</param>
/// <param name="MachineRule">The machine-open rule it matched (Herald.Core.Tracking.MachineOpens), or null for a person.</param>
public sealed record TrackingHit(long DeliveryId, int Attempt, int Link, string? Url, string? MachineRule, string? UserAgent, DateTimeOffset At)
{
    public bool IsOpen => Link == 0;
}

/// <summary>What recording an event did.</summary>
public enum EventResult
{
    /// <summary>Logged and the delivery's status moved.</summary>
    Changed,
    /// <summary>Logged; the status stays (it would regress, or the event carries none).</summary>
    Logged,
    /// <summary>Ignored: an event with the same provider id was recorded before.</summary>
    Duplicate,
    /// <summary>No such delivery.</summary>
    UnknownDelivery,
}

/// <summary>The outcome of <see cref="DeliveryLedger.Record(DeliveryEvent)"/>, with the delivery's status afterwards.</summary>
public sealed record RecordOutcome(EventResult Result, DeliveryStatus? Status)
{
    /// <summary>The event opened a fallback delivery on the other channel (an essential announcement's later failure).</summary>
    public bool FellBack { get; init; }
}

/// <summary>A delivery the dispatcher holds under a claim.</summary>
/// <param name="Settles">True when this is not a send but a settle deadline: the relay said "delayed" and nothing
/// failed since, so the delivery settles on <c>sent</c>.</param>
/// <param name="DigestId">The digest whose message carries this delivery (the claim holds all of a digest's deliveries
/// together); null for a delivery sent on its own.</param>
public sealed record ClaimedDelivery(long Id, long SchoolId, long AnnouncementId, long ContactId, Channel Channel, string? Address,
    int Attempt, int Tries, DateTimeOffset FirstTryAt, bool Settles, long? DigestId = null);

/// <summary>One claim: its fencing token, when this process made it (its own clock, for deadlines it checks itself),
/// and the deliveries it holds.</summary>
public sealed record ClaimBatch(string Token, DateTimeOffset ClaimedAt, IReadOnlyList<ClaimedDelivery> Deliveries);

/// <summary>What the dispatcher makes of one claimed delivery: the transport's answer (or its own decision), the next
/// try for a soft bounce, and any feedback already known (the sandbox's simulator).</summary>
/// <param name="Untried">Given back without being tried (waited too long for a connection, or shutting down): the try
/// does not count, and it is due again at once.</param>
/// <param name="MessageId">The Message-ID of the message sent, kept so that a bounce quoting it can find this attempt.</param>
public sealed record Completion(ClaimedDelivery Delivery, string Token, DeliveryStatus Status, EventSource Source, string Detail,
    string? Reason, DateTimeOffset At, DateTimeOffset? NextTryAt = null, bool BlamesAddress = true, bool Untried = false,
    string? MessageId = null, IReadOnlyList<DeliveryEvent>? Feedback = null);

/// <summary>What completing did: applied under its claim, or refused because the claim had lapsed and another
/// worker holds the delivery now (the result is then only logged).</summary>
public enum CompletionResult { Applied, Lapsed, UnknownDelivery }

/// <summary>The first decision of one recipient on one channel, for <see cref="DeliveryLedger.Open"/>.</summary>
/// <param name="Detail">What the log says about the decision.</param>
/// <param name="DueAt">For a delivery held for the contact's digest: when that digest goes out.</param>
public sealed record NewDelivery(long ContactId, Channel Channel, string? Address, DeliveryStatus Status, string Reason, string Detail,
    DateTimeOffset? DueAt = null);

/// <summary>A new attempt of an existing delivery (a resend), for <see cref="DeliveryLedger.Restart"/>.</summary>
/// <param name="DueAt">For a new attempt held for the contact's digest: when that digest goes out.</param>
public sealed record RestartedDelivery(long DeliveryId, long AnnouncementId, Channel Channel, DeliveryStatus From, int NewAttempt,
    string? Address, DeliveryStatus Status, string Reason, string Detail, string By, DateTimeOffset? DueAt = null);

/// <summary>What a reset did, per school.</summary>
public sealed record ResetResult(string Address, string Channel, IReadOnlyList<long> Schools);

/// <summary>A delivery of an announcement that could not start or failed, for fallback planning.</summary>
/// <param name="Cause">What the failure said (the reply, the reason), for the log.</param>
public sealed record FailedDelivery(long Id, long SchoolId, long AnnouncementId, long ContactId, Channel Channel, DeliveryStatus Status, string? Cause);

/// <summary>What the ledger does after a failure: open a fallback delivery (queued) on <paramref name="Channel"/> to
/// <paramref name="Address"/> when <paramref name="Send"/>, else only log <paramref name="Detail"/> on the failed delivery.</summary>
public sealed record PlannedFallback(Channel Channel, string? Address, bool Send, string Detail);

/// <summary>Decides the fallback of a failed delivery (essential announcements; FallbackPolicy in Herald.Core), reading
/// in the ledger's transaction; null when there is nothing to do or say. It only reads: the ledger writes.</summary>
public interface IFallbackPlanner
{
    PlannedFallback? Plan(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction tx, FailedDelivery failed);
}

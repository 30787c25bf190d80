using System.Data.Common;
using Dapper;
using Herald.Core.Deliveries;
using Herald.Observability;
using Herald.Storage;

namespace Herald.Events;

/// <summary>One piece of feedback about one delivery, from any source.</summary>
/// <param name="DeliveryId">The delivery it is about.</param>
/// <param name="Status">The status it reports; null for an event that only goes into the log (an auto-reply).</param>
/// <param name="Source">Where it came from.</param>
/// <param name="Detail">Raw detail for the log: the SMTP reply, the DSN's diagnostic, the provider's error.</param>
/// <param name="ProviderEventId">The provider's id for the event; a second event with the same id changes nothing.</param>
/// <param name="OccurredAt">When it happened, as the source says.</param>
/// <param name="Reason">Short reason kept on the delivery for the report (e.g. <c>userunknown</c>).</param>
/// <param name="NextTryAt">For a soft bounce the dispatcher will retry: when.</param>
/// <param name="BlamesAddress">False when a failure is not the address's fault (an SMS whose retries ran out, a text
/// too long to send): the delivery fails but the number is not marked failed.</param>
/// <param name="Attempt">The attempt the feedback is about, when the source knows it (a VERP token, a signed DLR URL).
/// Feedback about an earlier attempt than the delivery's current one only goes into the log: a late bounce of the
/// message before a resend must not overrule what became of the resend.</param>
public sealed record DeliveryEvent(
    long DeliveryId, DeliveryStatus? Status, EventSource Source, string? Detail, string? ProviderEventId,
    DateTimeOffset OccurredAt, string? Reason = null, DateTimeOffset? NextTryAt = null, bool BlamesAddress = true,
    int? Attempt = null);

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

/// <summary>The outcome of <c>EventRecorder.Record</c>, with the delivery's status afterwards.</summary>
public sealed record RecordOutcome(EventResult Result, DeliveryStatus? Status);

/// <summary>
/// The one entry point for feedback (delivery-model.md, "Rules that matter"): every event is appended to the
/// contact's log, the status only moves up the precedence table, a duplicate provider event changes nothing,
/// and a hard bounce, a spam complaint or a failed SMS marks the address itself so later sends are dropped.
/// The report's counters change in the same transaction as the status.
/// </summary>
public sealed class EventRecorder(Database db, TimeProvider time)
{
    private sealed class DeliveryRow
    {
        public long id { get; set; }
        public long school_id { get; set; }
        public long announcement_id { get; set; }
        public long contact_id { get; set; }
        public string channel { get; set; } = "";
        public string? address { get; set; }
        public string status { get; set; } = "";
        public long status_at { get; set; }
        public long attempt { get; set; }
    }

    // TEMP(ledger): the Message-ID of each delivery's message built and not yet recorded, taken by its transport event.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, string> _builtMessageIds = new(); // TEMP(ledger)

    /// <summary>TEMP(ledger): the Message-ID of the message just built for a delivery, stored with its transport event.</summary>
    public void RememberMessageId(long deliveryId, string messageId) => _builtMessageIds[deliveryId] = messageId; // TEMP(ledger)

    /// <summary>Records one event in its own transaction.</summary>
    public RecordOutcome Record(DeliveryEvent e)
    {
        using var c = db.Open();
        using var tx = c.BeginTransaction();
        var outcome = Record(c, tx, e);
        tx.Commit();
        Count(e, outcome);
        return outcome;
    }

    /// <summary>Records one event inside the caller's transaction (metrics are the caller's business).</summary>
    public RecordOutcome Record(DbConnection c, DbTransaction tx, DeliveryEvent e)
    {
        var d = c.QuerySingleOrDefault<DeliveryRow>(
            "SELECT id, school_id, announcement_id, contact_id, channel, address, status, status_at, attempt FROM deliveries WHERE id = @id" + db.ForUpdate,
            new { id = e.DeliveryId }, tx);
        if (d is null) return new(EventResult.UnknownDelivery, null);
        var current = Wire.ParseStatus(d.status);

        if (e.ProviderEventId is not null && c.ExecuteScalar<long>(
                "SELECT COUNT(*) FROM events WHERE delivery_id = @id AND provider_event_id = @p",
                new { id = d.id, p = e.ProviderEventId }, tx) > 0)
            return new(EventResult.Duplicate, current);

        var earlier = e.Attempt is { } a && a < d.attempt;
        var changed = !earlier && e.Status is { } incoming
            && StatusPrecedence.Changes(current, DbTime.At(d.status_at), incoming, e.OccurredAt);
        var detail = earlier ? $"{e.Detail} (about attempt {e.Attempt}; the delivery is on attempt {d.attempt}, so its status stays)" : e.Detail;
        var now = DbTime.Ms(time.GetUtcNow());
        var messageId = e.Source == EventSource.Transport && _builtMessageIds.TryRemove(d.id, out var built) ? built : null; // TEMP(ledger)
        c.Execute(
            """
            INSERT INTO events (school_id, contact_id, delivery_id, announcement_id, channel, attempt, status, changed, source, detail, provider_event_id, occurred_at, recorded_at, message_id)
            VALUES (@school_id, @contact_id, @id, @announcement_id, @channel, @attempt, @status, @changed, @source, @detail, @pid, @at, @now, @messageId)
            """,
            new
            {
                d.school_id, d.contact_id, d.id, d.announcement_id, d.channel, attempt = e.Attempt is { } ea && ea < d.attempt ? ea : d.attempt,
                status = e.Status?.Name(), changed = changed ? 1 : 0, source = e.Source.Name(),
                detail = Truncate(detail, 8000), pid = e.ProviderEventId, at = DbTime.Ms(e.OccurredAt), now,
                messageId, // TEMP(ledger)
            }, tx);

        if (changed)
        {
            var next = e.Status!.Value;
            c.Execute(
                """
                UPDATE deliveries SET status = @status, status_at = @at, reason = @reason, next_try_at = @nextTry, claimed_until = NULL
                WHERE id = @id
                """,
                new
                {
                    status = next.Name(), at = DbTime.Ms(e.OccurredAt), reason = Truncate(e.Reason ?? e.Detail, 1000),
                    nextTry = e.NextTryAt is { } n ? DbTime.Ms(n) : (long?)null, id = d.id,
                }, tx);
            Counts.Add(c, tx, d.announcement_id, d.channel, current.Name(), -1);
            Counts.Add(c, tx, d.announcement_id, d.channel, next.Name(), +1);
        }

        // An earlier attempt may have gone to an address the contact has since corrected, so its hard bounce does not
        // fail today's address; a spam complaint still suppresses it: a person who complained is not mailed again.
        if (e.BlamesAddress && e.Status is { } s && StatusPrecedence.AddressEffect(s) is { } state && d.address is not null
            && (!earlier || state == AddressState.Suppressed))
            AddressStates.Mark(c, tx, d.school_id, d.channel, d.address, state, e.Reason ?? e.Detail, d.id, now);

        return new(changed ? EventResult.Changed : EventResult.Logged, changed ? e.Status : current);
    }

    /// <summary>Counts an outcome in the metrics.</summary>
    public static void Count(DeliveryEvent e, RecordOutcome outcome)
    {
        if (outcome.Result == EventResult.Duplicate)
            HeraldMetrics.DuplicateEvents.WithLabels(e.Source.Name()).Inc();
        else if (outcome.Result != EventResult.UnknownDelivery)
            HeraldMetrics.EventsRecorded.WithLabels(e.Status?.Name() ?? "none", e.Source.Name(),
                outcome.Result == EventResult.Changed ? "true" : "false").Inc();
    }

    internal static string? Truncate(string? s, int max) => s is null || s.Length <= max ? s : s[..max];
}

/// <summary>The report's per-announcement counters.</summary>
public static class Counts
{
    public static void Add(DbConnection c, DbTransaction tx, long announcementId, string channel, string status, long delta) =>
        c.Execute(
            """
            INSERT INTO announcement_counts (announcement_id, channel, status, n) VALUES (@announcementId, @channel, @status, @delta)
            ON CONFLICT (announcement_id, channel, status) DO UPDATE SET n = announcement_counts.n + excluded.n
            """, new { announcementId, channel, status, delta }, tx);
}

/// <summary>Failed and suppressed addresses, with their history.</summary>
public static class AddressStates
{
    public static void Mark(DbConnection c, DbTransaction tx, long schoolId, string channel, string address, AddressState state,
        string? reason, long? deliveryId, long now)
    {
        var name = state == AddressState.Failed ? "failed" : "suppressed";
        // A suppression (spam) is the stronger state: a later hard bounce does not turn it back into 'failed'.
        var changed = c.Execute(
            """
            INSERT INTO address_states (school_id, channel, address, state, reason, delivery_id, since)
            VALUES (@schoolId, @channel, @address, @name, @reason, @deliveryId, @now)
            ON CONFLICT (school_id, channel, address) DO UPDATE SET state = excluded.state, reason = excluded.reason,
                delivery_id = excluded.delivery_id, since = excluded.since
            WHERE address_states.state <> 'suppressed' AND address_states.state <> excluded.state
            """, new { schoolId, channel, address = Core.Sending.AddressKey.Of(channel, address), name, reason = EventRecorder.Truncate(reason, 1000), deliveryId, now }, tx);
        if (changed == 0) return;
        address = Core.Sending.AddressKey.Of(channel, address);
        c.Execute(
            "INSERT INTO address_history (school_id, channel, address, change, by_whom, why, at) VALUES (@schoolId, @channel, @address, @name, 'herald', @reason, @now)",
            new { schoolId, channel, address, name, reason = EventRecorder.Truncate(reason, 1000), now }, tx);
        HeraldMetrics.AddressesBlocked.WithLabels(channel, name).Inc();
    }
}

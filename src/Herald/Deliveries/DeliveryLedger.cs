using System.Data.Common;
using System.Security.Cryptography;
using Dapper;
using Herald.Contacts;
using Herald.Core.Deliveries;
using Herald.Core.Sending;
using Herald.Observability;
using Herald.Storage;
// A claimed row as the claim statements return it (Dapper maps a tuple by position).
using ClaimRow = (long Id, long SchoolId, long AnnouncementId, long ContactId, string Channel, string? Address, long Attempt, long Tries,
    long FirstTryAt, long Settles, long? DigestId);

namespace Herald.Deliveries;

/// <summary>
/// The delivery ledger: the only code that writes deliveries, events, announcement_counts, address_states and
/// address_history (its statements are named in <see cref="LedgerSql"/>). Each operation keeps a delivery's status,
/// its event in the full log, the report's counters and the address's state together in one transaction:
/// <list type="bullet">
/// <item><b>open</b>: the first decisions of a send; <b>restart</b>: a resend's new attempt;</item>
/// <item><b>claim</b>: a lease with a fencing token; <b>complete</b>: the transport's answers under that token;</item>
/// <item><b>record</b>: feedback, through the precedence table; <b>reset address</b>: support lifts a failed or
/// suppressed address.</item>
/// <item><b>profile changed by staff</b>: an address fixed on the contact page (DeliveryLedger.Staff.cs).</item>
/// <item><b>fallback</b>: an essential announcement's delivery on the other channel, opened with the send's decisions
/// or in the transaction that records a later failure (<see cref="IFallbackPlanner"/>).</item>
/// </list>
/// </summary>
/// <param name="fallbacks">Plans the fallback of essential announcements (null: no fallback, as in ledger-only tests).</param>
/// <param name="signal">Woken when a later failure opened a fallback delivery.</param>
public sealed partial class DeliveryLedger(Database db, TimeProvider time, LedgerOptions options, IFallbackPlanner? fallbacks = null,
    DispatchSignal? signal = null)
{
    /// <summary>How long after a "delayed" report (or any soft bounce from feedback) a delivery settles on sent.</summary>
    private readonly TimeSpan _settleAfter = options.DelayedSettleAfter;

    private sealed class Row
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
        public string? claim_token { get; set; }
        public long? digest_id { get; set; }
    }

    /// <summary>One line of the full log, as the ledger writes it.</summary>
    private sealed record EventRow(long SchoolId, long? ContactId, long? DeliveryId, long? AnnouncementId, string? Channel, long? Attempt,
        DeliveryStatus? Status, bool Changed, EventSource Source, string? Detail, string? ProviderEventId, long OccurredAt,
        string? MessageId = null, string? Actor = null, long? KeyId = null);

    // ================================================================================================== open

    /// <summary>Opens the deliveries of one chunk of a send's audience, in the caller's transaction: each with its
    /// decision as first event and the counters. Recipients that already have a delivery (a retried send) are skipped.
    /// Returns how many it created, per channel and status. <paramref name="keyId"/>: the API key that sent it (null
    /// from the CLI), recorded on each decision.</summary>
    public Dictionary<(Channel, DeliveryStatus), int> Open(DbConnection c, DbTransaction tx, long schoolId, long announcementId,
        IReadOnlyList<NewDelivery> chunk, long? keyId = null)
    {
        var tally = new Dictionary<(Channel, DeliveryStatus), int>();
        if (chunk.Count == 0) return tally;
        var now = DbTime.Ms(time.GetUtcNow());
        var values = new Rows(db, LedgerSql.OpenColumns);
        foreach (var d in chunk)
            values.Add(schoolId, announcementId, d.ContactId, d.Channel.Name(), d.Address, d.Status.Name(), now, d.Reason, NextLook(d.Status, d.DueAt, now));
        var created = c.Query<(long Id, long ContactId, string Channel)>(values.Fill(LedgerSql.OpenDeliveries), values.Parameters, tx)
            .ToDictionary(x => (x.ContactId, x.Channel), x => x.Id);
        var events = new List<EventRow>();
        foreach (var d in chunk)
        {
            if (!created.TryGetValue((d.ContactId, d.Channel.Name()), out var id)) continue;
            events.Add(new(schoolId, d.ContactId, id, announcementId, d.Channel.Name(), 1, d.Status, true, EventSource.Decision, d.Detail, null, now,
                KeyId: keyId));
            tally[(d.Channel, d.Status)] = tally.GetValueOrDefault((d.Channel, d.Status)) + 1;
        }
        InsertEvents(c, tx, events);
        AddCounts(c, tx, tally.Select(t => (announcementId, t.Key.Item1.Name(), t.Key.Item2.Name(), (long)t.Value)));
        return tally;
    }

    // =============================================================================================== restart

    /// <summary>Starts new attempts of existing deliveries (a resend), in the caller's transaction, which has locked
    /// and re-read them. <paramref name="keyId"/>: the API key that resent (null from the CLI), recorded on each decision.</summary>
    public void Restart(DbConnection c, DbTransaction tx, IReadOnlyList<RestartedDelivery> restarts, long? keyId = null)
    {
        if (restarts.Count == 0) return;
        var now = DbTime.Ms(time.GetUtcNow());
        var events = new List<EventRow>();
        var counts = new List<(long, string, string, long)>();
        var failures = new List<FailedDelivery>();
        foreach (var r in restarts)
        {
            var row = c.QuerySingle<Row>(Fill(LedgerSql.LockDelivery), new { id = r.DeliveryId }, tx);
            c.Execute(LedgerSql.RestartDelivery, new
            {
                attempt = r.NewAttempt, address = r.Address, status = r.Status.Name(), now, reason = r.Reason, by = r.By, id = r.DeliveryId,
                next = NextLook(r.Status, r.DueAt, now),
            }, tx);
            events.Add(new(row.school_id, row.contact_id, row.id, row.announcement_id, row.channel, r.NewAttempt, r.Status, true,
                EventSource.Decision, r.Detail, null, now, KeyId: keyId));
            counts.Add((r.AnnouncementId, r.Channel.Name(), r.From.Name(), -1));
            counts.Add((r.AnnouncementId, r.Channel.Name(), r.Status.Name(), +1));
            if (r.Status != DeliveryStatus.Queued)
                failures.Add(new FailedDelivery(row.id, row.school_id, r.AnnouncementId, row.contact_id, r.Channel, r.Status, Truncate(r.Reason, 300)));
        }
        InsertEvents(c, tx, events);
        AddCounts(c, tx, counts);
        // A resend of an essential announcement that cannot start on its channel (the address failed since, or is gone)
        // falls back to the other channel, as the send would have (only when that channel has no delivery yet).
        var fellBack = false;
        foreach (var f in failures) fellBack |= FallBack(c, tx, f, now, keyId);
        if (fellBack) signal?.Wake();
    }

    /// <summary>A new delivery's first look: a queued one is due now, a held one when its digest is (at once when the
    /// caller knows no time), any other status is final.</summary>
    private static long? NextLook(DeliveryStatus status, DateTimeOffset? dueAt, long now) => status switch
    {
        DeliveryStatus.Queued => now,
        DeliveryStatus.PendingDigest => dueAt is { } due ? DbTime.Ms(due) : now,
        _ => null,
    };

    // ================================================================================================= claim

    /// <summary>Claims up to <paramref name="max"/> due deliveries for <paramref name="lease"/> (on the database's
    /// clock) under a new token. A crash only delays them until the lease lapses.</summary>
    public ClaimBatch Claim(int max, TimeSpan lease)
    {
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var claimedAt = time.GetUtcNow();
        using var c = db.Open();
        using var tx = c.BeginTransaction();
        var parameters = new { now = DbTime.Ms(claimedAt), leaseMs = (long)lease.TotalMilliseconds, token, n = max };
        var rows = c.Query<ClaimRow>(Fill(LedgerSql.ClaimDue), parameters, tx).ToList();
        // A digest's lead brings the deliveries its message carries.
        var digests = rows.Where(r => r.DigestId is not null && r.Settles == 0).Select(r => r.DigestId!.Value).Distinct().ToArray();
        if (digests.Length > 0)
            rows.AddRange(c.Query<ClaimRow>(Fill(LedgerSql.ClaimDigestMembers).Replace("{ids}", Database.InList(c, "ids")),
                new { parameters.now, parameters.leaseMs, token, ids = digests }, tx));
        tx.Commit();
        var claimed = rows.OrderBy(r => r.Id).Select(r => new ClaimedDelivery(r.Id, r.SchoolId, r.AnnouncementId, r.ContactId,
            Wire.ParseChannel(r.Channel), r.Address, (int)r.Attempt, (int)r.Tries, DbTime.At(r.FirstTryAt), r.Settles == 1, r.DigestId)).ToList();
        return new ClaimBatch(token, claimedAt, claimed);
    }

    /// <summary>The failed or suppressed addresses among these (re-checked before sending: a bounce for another
    /// announcement may have failed one since the send).</summary>
    public HashSet<(long School, string Channel, string Address)> Blocked(IEnumerable<(Channel Channel, string Address)> addresses)
    {
        var keys = addresses.Select(a => AddressKey.Of(a.Channel, a.Address)).Distinct().ToArray();
        if (keys.Length == 0) return [];
        using var c = db.Open();
        return c.Query<(long, string, string)>(LedgerSql.BlockedIn.Replace("{ids}", Database.InList(c, "ids")), new { ids = keys }).ToHashSet();
    }

    // ============================================================================================== complete

    /// <summary>
    /// Records a group of answers in a constant number of statements: lock the group, then one multi-row update, one
    /// multi-row insert into the log and one counters upsert sent together (plus one statement per address a failure
    /// marks). Each
    /// answer is applied only while its claim's token still holds the delivery; an answer whose claim lapsed (another
    /// worker took the delivery over) is only logged. Throws when the database does: nothing is half-recorded, and
    /// the caller keeps the group and tries again.
    /// </summary>
    public IReadOnlyList<CompletionResult> Complete(IReadOnlyList<Completion> group)
    {
        if (group.Count == 0) return [];
        var nowAt = time.GetUtcNow();
        var now = DbTime.Ms(nowAt);
        using var c = db.Open();
        using var tx = c.BeginTransaction();
        var ids = group.Select(x => x.Delivery.Id).Distinct().Order().ToArray();
        var rows = c.Query<Row>(Fill(LedgerSql.LockDeliveries).Replace("{ids}", Database.InList(c, "ids")), new { ids }, tx)
            .ToDictionary(r => r.id);
        var carried = Carried(c, tx, rows.Values);
        var results = new List<CompletionResult>(group.Count);
        var events = new List<EventRow>();
        var counts = new List<(long, string, string, long)>();
        var update = new Rows(db, LedgerSql.CompleteColumns);
        var marks = new List<(Row Row, AddressState State, string? Why)>();
        var failures = new List<FailedDelivery>();
        foreach (var done in group)
        {
            if (!rows.TryGetValue(done.Delivery.Id, out var row)) { results.Add(CompletionResult.UnknownDelivery); continue; }
            var attempt = done.Delivery.Attempt;
            if (row.claim_token != done.Token || row.attempt != attempt)
            {
                // The fence: this worker's lease lapsed and another holds the delivery (or a resend restarted it). What it
                // saw is still a fact for the log, but it must not move a status that is now someone else's to decide.
                events.Add(new(row.school_id, row.contact_id, row.id, row.announcement_id, row.channel, attempt, done.Status, false,
                    done.Source, $"{done.Detail} (answer to a claim that had lapsed; the delivery's status is left to its current claim)",
                    null, DbTime.Ms(done.At), done.MessageId));
                results.Add(CompletionResult.Lapsed);
                continue;
            }
            var current = Wire.ParseStatus(row.status);
            // A claimed delivery is queued or soft-bounced, and the answer is the dispatcher's to give. Feedback that
            // arrived while it was in flight (a webhook's delivered) went through precedence already and is kept
            // unless this answer outranks it.
            var applies = current is DeliveryStatus.Queued or DeliveryStatus.SoftBounce
                || StatusPrecedence.Changes(current, DbTime.At(row.status_at), done.Status, done.At);
            var status = applies ? done.Status : current;
            var changed = status != current;
            update.Add(row.id, done.Token, status.Name(), applies ? DbTime.Ms(done.At) : row.status_at,
                applies ? Truncate(done.Reason ?? done.Detail, 1000) : null,
                applies && status == DeliveryStatus.SoftBounce && !carried.Contains(row.id) ? DbTime.Ms(done.NextTryAt ?? nowAt) : null,
                done.Untried ? 1 : 0, done.MessageId);
            events.Add(new(row.school_id, row.contact_id, row.id, row.announcement_id, row.channel, attempt, done.Status, changed,
                done.Source, done.Detail, null, DbTime.Ms(done.At), done.MessageId));
            if (changed)
            {
                counts.Add((row.announcement_id, row.channel, current.Name(), -1));
                counts.Add((row.announcement_id, row.channel, status.Name(), +1));
                failures.Add(Failed(row, status, done.Detail));
            }
            if (done.BlamesAddress && StatusPrecedence.AddressEffect(done.Status) is { } state && row.address is not null)
                marks.Add((row, state, done.Reason ?? done.Detail));
            results.Add(CompletionResult.Applied);
        }
        var batch = new Statements(c);
        if (update.Count > 0) batch.Add(update, LedgerSql.CompleteMany, ids);
        InsertEvents(batch, events);
        AddCounts(batch, counts);
        batch.Execute(tx);
        foreach (var (row, state, why) in marks) MarkAddress(c, tx, row.school_id, row.channel, row.address!, state, why, row.id, now, null);
        var fellBack = false;
        foreach (var f in failures) fellBack |= FallBack(c, tx, f, now, null);
        // Feedback the transport already knows (the sandbox's simulator) follows its answer, through precedence.
        var feedback = new List<(DeliveryEvent, RecordOutcome)>();
        for (var i = 0; i < group.Count; i++)
            if (results[i] == CompletionResult.Applied)
                foreach (var e in group[i].Feedback ?? [])
                    feedback.Add((e, RecordIn(c, tx, e)));
        tx.Commit();
        for (var i = 0; i < group.Count; i++)
            if (results[i] != CompletionResult.UnknownDelivery)
                HeraldMetrics.EventsRecorded.WithLabels(group[i].Status.Name(), group[i].Source.Name(),
                    results[i] == CompletionResult.Applied ? "true" : "false").Inc();
        foreach (var (e, o) in feedback) Count(e, o);
        if (fellBack || feedback.Any(x => x.Item2.FellBack)) signal?.Wake();
        return results;
    }

    // ================================================================================================ record

    /// <summary>Records one piece of feedback in its own transaction. Bounce mail about a digest's message is about every
    /// delivery the digest carries: each gets the event (<see cref="RecordForDigest"/>).</summary>
    public RecordOutcome Record(DeliveryEvent e)
    {
        using var c = db.Open();
        using var tx = c.BeginTransaction();
        var outcome = e.Source == EventSource.Bounce ? RecordForDigest(c, tx, e) : RecordIn(c, tx, e);
        tx.Commit();
        Count(e, outcome);
        if (outcome.FellBack) signal?.Wake();
        return outcome;
    }

    /// <summary>
    /// Feedback (delivery-model.md, "Rules that matter"): appended to the contact's log; the status only moves up the
    /// precedence table; a duplicate provider event changes nothing; a hard bounce, a spam complaint or a failed SMS
    /// marks the address itself so later sends are dropped. A soft bounce is never left without a next look: with no
    /// retry of Herald's own, the relay or provider is retrying, and the delivery settles on sent by a deadline.
    /// </summary>
    private RecordOutcome RecordIn(DbConnection c, DbTransaction tx, DeliveryEvent e)
    {
        var d = c.QuerySingleOrDefault<Row>(Fill(LedgerSql.LockDelivery), new { id = e.DeliveryId }, tx);
        if (d is null) return new(EventResult.UnknownDelivery, null);
        var current = Wire.ParseStatus(d.status);
        if (e.ProviderEventId is not null && c.ExecuteScalar<long>(LedgerSql.ProviderEventSeen, new { id = d.id, p = e.ProviderEventId }, tx) > 0)
            return new(EventResult.Duplicate, current);

        var earlier = e.Attempt is { } a && a < d.attempt;
        // 'sent' and 'soft_bounce' say a message went out: feedback cannot claim that for a delivery Herald has not sent
        // yet (it would never be sent, or settle as sent with nothing sent). Failures and receipts still count.
        var unsent = current == DeliveryStatus.Queued && e.Status is DeliveryStatus.Sent or DeliveryStatus.SoftBounce;
        var changed = !earlier && !unsent && e.Status is { } incoming && StatusPrecedence.Changes(current, DbTime.At(d.status_at), incoming, e.OccurredAt);
        var detail = earlier ? $"{e.Detail} (about attempt {e.Attempt}; the delivery is on attempt {d.attempt}, so its status stays)"
            : unsent ? $"{e.Detail} (the delivery has not been sent yet; Herald's dispatcher decides when it is, so its status stays)"
            : e.Detail;
        var nowAt = time.GetUtcNow();
        var now = DbTime.Ms(nowAt);
        InsertEvents(c, tx, [new(d.school_id, d.contact_id, d.id, d.announcement_id, d.channel, earlier ? e.Attempt : d.attempt, e.Status,
            changed, e.Source, detail, e.ProviderEventId, DbTime.Ms(e.OccurredAt), e.MessageId, e.Actor, e.KeyId)]);
        if (changed)
        {
            var next = e.Status!.Value;
            var (nextTry, settles) = next != DeliveryStatus.SoftBounce ? ((long?)null, 0)
                : e.NextTryAt is { } retry ? (DbTime.Ms(retry), 0)
                : (DbTime.Ms(nowAt + _settleAfter), 1);
            c.Execute(LedgerSql.RecordStatus, new
            {
                status = next.Name(), at = DbTime.Ms(e.OccurredAt), reason = Truncate(e.Reason ?? e.Detail, 1000), next = nextTry, settles, id = d.id,
            }, tx);
            AddCounts(c, tx, [(d.announcement_id, d.channel, current.Name(), -1), (d.announcement_id, d.channel, next.Name(), +1)]);
        }
        // A later failure of an essential announcement falls back to the other channel here, in the transaction that
        // records it: a crash cannot lose the fallback, and only the event that moved the status makes it (a duplicate,
        // or the same status again, changes nothing; the unique delivery per channel holds across processes).
        var fellBack = changed && FallBack(c, tx, Failed(d, e.Status!.Value, e.Detail ?? e.Reason), now, e.KeyId);
        // An earlier attempt may have gone to an address the contact has since corrected, so its hard bounce does not
        // fail today's address; a spam complaint still suppresses it: a person who complained is not mailed again.
        if (e.BlamesAddress && e.Status is { } s && StatusPrecedence.AddressEffect(s) is { } state && d.address is not null
            && (!earlier || state == AddressState.Suppressed))
            MarkAddress(c, tx, d.school_id, d.channel, d.address, state, e.Reason ?? e.Detail, d.id, now, e.KeyId);
        return new(changed ? EventResult.Changed : EventResult.Logged, changed ? e.Status : current) { FellBack = fellBack };
    }

    /// <summary>Counts a recorded event in the metrics.</summary>
    private static void Count(DeliveryEvent e, RecordOutcome outcome)
    {
        if (outcome.Result == EventResult.Duplicate)
            HeraldMetrics.DuplicateEvents.WithLabels(e.Source.Name()).Inc();
        else if (outcome.Result != EventResult.UnknownDelivery)
            HeraldMetrics.EventsRecorded.WithLabels(e.Status?.Name() ?? "none", e.Source.Name(),
                outcome.Result == EventResult.Changed ? "true" : "false").Inc();
    }

    // ============================================================================================== fallback

    /// <summary>The send's fallbacks of one chunk (essential announcements), in the caller's transaction, after
    /// <see cref="Open"/>: each opens a queued delivery on the other channel naming the one it replaces, or logs on the
    /// failed delivery why there is none. Returns how many it opened, per channel and status (queued).</summary>
    public Dictionary<(Channel, DeliveryStatus), int> OpenFallbacks(DbConnection c, DbTransaction tx, long schoolId, long announcementId,
        IReadOnlyList<(long ContactId, Channel From, DeliveryStatus Status, PlannedFallback Plan)> fallbacks, long? keyId = null)
    {
        var tally = new Dictionary<(Channel, DeliveryStatus), int>();
        if (fallbacks.Count == 0) return tally;
        var now = DbTime.Ms(time.GetUtcNow());
        var ids = fallbacks.Select(f => f.ContactId).Distinct().ToArray();
        var failed = c.Query<(long Id, long ContactId, string Channel)>(LedgerSql.DeliveriesOfContacts.Replace("{ids}", Database.InList(c, "ids")),
            new { announcementId, ids }, tx).ToDictionary(x => (x.ContactId, x.Channel), x => x.Id);
        foreach (var (contactId, from, status, plan) in fallbacks)
            if (failed.TryGetValue((contactId, from.Name()), out var id)
                && Apply(c, tx, new FailedDelivery(id, schoolId, announcementId, contactId, from, status, null), plan, now, keyId))
                tally[(plan.Channel, DeliveryStatus.Queued)] = tally.GetValueOrDefault((plan.Channel, DeliveryStatus.Queued)) + 1;
        return tally;
    }

    private static FailedDelivery Failed(Row d, DeliveryStatus status, string? cause) =>
        new(d.id, d.school_id, d.announcement_id, d.contact_id, Wire.ParseChannel(d.channel), status, Truncate(cause, 300));

    /// <summary>Plans and applies the fallback of a delivery whose status just moved to <c>failed.Status</c>.</summary>
    private bool FallBack(DbConnection c, DbTransaction tx, FailedDelivery failed, long now, long? keyId) =>
        fallbacks is not null && FallbackPolicy.Target(true, failed.Channel, failed.Status) is not null
        && fallbacks.Plan(c, tx, failed) is { } plan && Apply(c, tx, failed, plan, now, keyId);

    /// <summary>Opens the fallback delivery (with its decision in the log and the counters) or logs why there is none.
    /// True when a delivery was opened.</summary>
    private bool Apply(DbConnection c, DbTransaction tx, FailedDelivery failed, PlannedFallback plan, long now, long? keyId)
    {
        if (!plan.Send)
        {
            InsertEvents(c, tx, [new(failed.SchoolId, failed.ContactId, failed.Id, failed.AnnouncementId, failed.Channel.Name(), null, null, false,
                EventSource.Decision, plan.Detail, null, now, KeyId: keyId)]);
            return false;
        }
        var id = c.QuerySingleOrDefault<long?>(LedgerSql.OpenFallback, new
        {
            schoolId = failed.SchoolId, announcementId = failed.AnnouncementId, contactId = failed.ContactId, channel = plan.Channel.Name(),
            address = plan.Address, now, reason = Truncate(plan.Detail, 1000), failedId = failed.Id,
        }, tx);
        if (id is not { } created) return false;
        InsertEvents(c, tx, [new(failed.SchoolId, failed.ContactId, created, failed.AnnouncementId, plan.Channel.Name(), 1, DeliveryStatus.Queued, true,
            EventSource.Decision, plan.Detail, null, now, KeyId: keyId)]);
        AddCounts(c, tx, [(failed.AnnouncementId, plan.Channel.Name(), DeliveryStatus.Queued.Name(), 1)]);
        return true;
    }

    // ================================================================================================= track

    /// <summary>
    /// An open (pixel) or a click, in one transaction: one upsert of the attempt's counters
    /// (<see cref="LedgerSql.TrackHits"/>); only the first of its kind goes on through <see cref="RecordIn"/> into the
    /// full log and the precedence table: a person's first open (<c>opened</c>), each link's first click by a person
    /// (<c>clicked</c>, the link in the detail), the first open and each link's first click the heuristics call
    /// automated (logged without a status: they never move a delivery). Repeats only count.
    /// </summary>
    public RecordOutcome Track(TrackingHit hit) => Track([hit])[0];

    /// <summary>A group of opens and clicks (the group commit of <c>TrackingWriter</c>) in one transaction: one upsert
    /// for the whole group, then a record for each hit that is the first of its kind.</summary>
    public IReadOnlyList<RecordOutcome> Track(IReadOnlyList<TrackingHit> hits)
    {
        if (hits.Count == 0) return [];
        // In delivery order, as every group of the ledger locks rows: two groups committed at once (PostgreSQL) wait for
        // each other instead of deadlocking.
        var keys = hits.Select(h => (h.DeliveryId, h.Attempt)).Distinct().OrderBy(k => k.DeliveryId).ThenBy(k => k.Attempt).ToList();
        var values = new Rows(db, LedgerSql.TrackColumns);
        foreach (var key in keys)
        {
            var mine = hits.Where(h => (h.DeliveryId, h.Attempt) == key).ToList();
            var people = mine.Where(h => h.MachineRule is null).Select(h => DbTime.Ms(h.At)).ToList();
            var machines = mine.Where(h => h.MachineRule is not null).Select(h => DbTime.Ms(h.At)).ToList();
            values.Add(key.DeliveryId, key.Attempt, mine.Count(h => h.IsOpen && h.MachineRule is null), mine.Count(h => h.IsOpen && h.MachineRule is not null),
                mine.Count(h => !h.IsOpen && h.MachineRule is null), mine.Count(h => !h.IsOpen && h.MachineRule is not null),
                people.Count > 0 ? people.Min() : null, people.Count > 0 ? people.Max() : null, machines.Count > 0 ? machines.Max() : null);
        }
        using var c = db.Open();
        using var tx = c.BeginTransaction();
        var postgres = db.Provider == DatabaseProvider.Postgres;
        var ids = keys.Select(k => k.DeliveryId).Distinct().Order().ToArray();
        var after = c.Query<(long DeliveryId, long Attempt, long Opens, long MachineOpens, long Clicks, long MachineClicks)>(
                values.Fill(LedgerSql.TrackHits).Replace("{pg_ids}", postgres ? " AND d.id " + Database.InList(c, "ids") : ""),
                postgres ? new { rows = values.Json, ids } : values.Parameters, tx)
            .ToDictionary(r => (r.DeliveryId, (int)r.Attempt));
        // The counters before the group: what came back less what the group added. A hit is the first of its kind
        // when nothing of that kind was counted before it.
        var before = after.ToDictionary(kv => kv.Key, kv =>
        {
            var mine = hits.Where(h => (h.DeliveryId, h.Attempt) == kv.Key).ToList();
            return (Opens: kv.Value.Opens - mine.Count(h => h.IsOpen && h.MachineRule is null),
                MachineOpens: kv.Value.MachineOpens - mine.Count(h => h.IsOpen && h.MachineRule is not null));
        });
        var done = new (DeliveryEvent? Event, RecordOutcome Outcome)[hits.Count];
        // Delivery order again for the records (they lock the delivery); within a delivery, the order the hits came in.
        foreach (var i in Enumerable.Range(0, hits.Count).OrderBy(i => hits[i].DeliveryId))
        {
            var hit = hits[i];
            var key = (hit.DeliveryId, hit.Attempt);
            if (!before.TryGetValue(key, out var seen)) { done[i] = (null, new(EventResult.UnknownDelivery, null)); continue; }
            var first = hit.MachineRule is null ? hit.IsOpen && seen.Opens++ == 0 : hit.IsOpen && seen.MachineOpens++ == 0;
            before[key] = seen;
            var e = TrackingEvent(hit, first);
            done[i] = e is null ? (null, new RecordOutcome(EventResult.Duplicate, null)) : (e, RecordIn(c, tx, e));
        }
        tx.Commit();
        foreach (var (e, outcome) in done)
            if (e is not null) Count(e, outcome);
        return done.Select(d => d.Outcome).ToList();
    }

    /// <summary>The log's event for a hit: a person's first open, the first automated open, and every click (the
    /// record dedups clicks per link by their provider event id). Null for a repeated open: it only counts.</summary>
    private static DeliveryEvent? TrackingEvent(TrackingHit hit, bool firstOpen)
    {
        var agent = string.IsNullOrEmpty(hit.UserAgent) ? "no User-Agent" : $"User-Agent: {Truncate(hit.UserAgent, 300)}";
        return (hit.IsOpen, hit.MachineRule is null) switch
        {
            (true, true) when firstOpen => new(hit.DeliveryId, DeliveryStatus.Opened, EventSource.Tracking,
                $"opened (open pixel fetched; {agent})", $"tracking:open:{hit.Attempt}", hit.At, Attempt: hit.Attempt),
            (true, false) when firstOpen => new(hit.DeliveryId, null, EventSource.Tracking,
                $"open likely automated ({hit.MachineRule}; {agent}); counted apart, the status stays", $"tracking:machine-open:{hit.Attempt}", hit.At,
                Attempt: hit.Attempt),
            (false, true) => new(hit.DeliveryId, DeliveryStatus.Clicked, EventSource.Tracking,
                $"clicked link {hit.Link}: {hit.Url} ({agent})", $"tracking:click:{hit.Attempt}:{hit.Link}", hit.At, Attempt: hit.Attempt),
            (false, false) => new(hit.DeliveryId, null, EventSource.Tracking,
                $"click likely automated ({hit.MachineRule}) on link {hit.Link}: {hit.Url} ({agent}); counted apart, the status stays",
                $"tracking:machine-click:{hit.Attempt}:{hit.Link}", hit.At, Attempt: hit.Attempt),
            _ => null,
        };
    }

    // ========================================================================================== mark address

    /// <param name="keyId">The API key whose event marked it (null for Herald's own feedback).</param>
    private static void MarkAddress(DbConnection c, DbTransaction tx, long schoolId, string channel, string address, AddressState state,
        string? reason, long? deliveryId, long now, long? keyId)
    {
        var name = state == AddressState.Failed ? "failed" : "suppressed";
        var key = AddressKey.Of(channel, address);
        var why = Truncate(reason, 1000);
        if (c.Execute(LedgerSql.MarkAddress, new { schoolId, channel, address = key, state = name, reason = why, deliveryId, now }, tx) == 0) return;
        c.Execute(LedgerSql.AddressHistory, new { schoolId, channel, address = key, change = name, by = "herald", why, now, keyId }, tx);
        HeraldMetrics.AddressesBlocked.WithLabels(channel, name).Inc();
    }

    // ========================================================================================= reset address

    /// <summary>Support lifts a failed or suppressed address (in one school, or with a null <paramref name="schoolId"/>
    /// every school that marked it): the history says who and why, and so does the full log of every contact with that
    /// address; an every-school reset says so in both, since it lifts what other schools' feedback decided.
    /// <paramref name="actor"/> and <paramref name="keyId"/>: the API key that asked (its name and id; null from the CLI).</summary>
    public ResetResult ResetAddress(string address, Channel channel, string by, string why, long? schoolId = null, string? actor = null,
        long? keyId = null)
    {
        var now = DbTime.Ms(time.GetUtcNow());
        var ch = channel.Name();
        using var c = db.Open();
        using var tx = c.BeginTransaction();
        var schools = c.Query<long>(LedgerSql.SchoolsMarking, new { channel = ch, address, schoolId }, tx).ToList();
        var events = new List<EventRow>();
        foreach (var s in schools)
        {
            c.Execute(LedgerSql.DeleteAddressState, new { schoolId = s, channel = ch, address }, tx);
            var said = schoolId is null ? $"all-schools reset: {why}" : why;
            c.Execute(LedgerSql.AddressHistory, new { schoolId = s, channel = ch, address, change = "reset", by, why = said, now, keyId }, tx);
            var contacts = c.Query<long>(LedgerSql.ContactsWithAddress.Replace("{column}", channel == Channel.Email ? "email" : "mobile"),
                new { schoolId = s, address, channel = ch }, tx);
            events.AddRange(contacts.Select(contact => new EventRow(s, contact, null, null, ch, null, null, false, EventSource.Support,
                $"address {address} reset{(schoolId is null ? " in every school (all-schools reset)" : "")} by {by}: {why}", null, now, Actor: actor, KeyId: keyId)));
        }
        InsertEvents(c, tx, events);
        tx.Commit();
        return new(address, ch, schools);
    }

    // =========================================================================================== preferences

    /// <summary>
    /// Sets a contact's opt-outs to <paramref name="wanted"/> (the contacts API and the CSV import), in the caller's
    /// transaction: each opt-out added or removed is one event in the contact's full log with its source, and the key that
    /// made it. The ledger is the only writer of <c>contact_opt_outs</c>, so no opt-out changes without its event.
    /// </summary>
    public void ReplaceOptOuts(DbConnection c, DbTransaction tx, long schoolId, long contactId, IReadOnlyCollection<OptOut> wanted,
        EventSource source, long? keyId = null, string? actor = null)
    {
        var now = DbTime.Ms(time.GetUtcNow());
        var current = OptOutsOf(c, tx, contactId);
        var events = new List<EventRow>();
        var by = source == EventSource.Import ? "by a contact import" : "through the contacts API";
        foreach (var o in current.Where(o => !wanted.Contains(o)).OrderBy(o => o.ToString(), StringComparer.Ordinal))
        {
            DeleteOptOut(c, tx, contactId, o);
            events.Add(PreferenceEvent(schoolId, contactId, null, o.Channel, source, $"opted back in to '{o.Category}' {On(o.Channel)} {by}", now, actor, keyId));
        }
        foreach (var o in wanted.Where(o => !current.Contains(o)).OrderBy(o => o.ToString(), StringComparer.Ordinal))
        {
            c.Execute(LedgerSql.InsertOptOut, new { contactId, category = o.Category, channel = o.Channel?.Name() }, tx);
            events.Add(PreferenceEvent(schoolId, contactId, null, o.Channel, source, $"opted out of '{o.Category}' {On(o.Channel)} {by}", now, actor, keyId));
        }
        InsertEvents(c, tx, events);
    }

    /// <summary>A deleted contact's opt-outs go with it, in the caller's transaction (its log stays).</summary>
    public static void ForgetOptOuts(DbConnection c, DbTransaction tx, long schoolId, long contactId) =>
        c.Execute(LedgerSql.ForgetOptOuts, new { schoolId, contactId }, tx);

    /// <summary>
    /// A recipient's own preference change (one-click link, mailto reply, the unsubscribe page), in its own transaction:
    /// opting out of (or back in to) one category on one channel, and its event in the full log. Idempotent: when the
    /// contact is already where the change would put it, nothing is written and it answers false. A contact that no
    /// longer exists changes nothing (false).
    /// </summary>
    /// <param name="optOut">True to opt out; false to opt back in (the page's undo).</param>
    /// <param name="why">How the recipient asked, for the log (e.g. "one-click unsubscribe link").</param>
    public bool RecordPreferenceChange(long schoolId, long contactId, string category, Channel channel, bool optOut, EventSource source,
        long? announcementId, string why)
    {
        var now = DbTime.Ms(time.GetUtcNow());
        using var c = db.Open();
        using var tx = c.BeginTransaction();
        // The contact's row locked first (PostgreSQL): two presses of the same button wait for each other.
        if (c.QuerySingleOrDefault<long?>(Fill(LedgerSql.LockContact), new { schoolId, contactId }, tx) is null) return false;
        var current = OptOutsOf(c, tx, contactId);
        var all = new OptOut(category, null);
        var one = new OptOut(category, channel);
        string detail;
        if (optOut)
        {
            if (current.Contains(all) || current.Contains(one)) return false;
            c.Execute(LedgerSql.InsertOptOut, new { contactId, category, channel = channel.Name() }, tx);
            detail = $"opted out of '{category}' {On(channel)} ({why})";
        }
        else
        {
            if (!current.Contains(all) && !current.Contains(one)) return false;
            if (current.Contains(one)) DeleteOptOut(c, tx, contactId, one);
            if (current.Contains(all))
            {
                // Out on every channel: back in on this one only, still out on the others.
                DeleteOptOut(c, tx, contactId, all);
                foreach (var other in Enum.GetValues<Channel>().Where(x => x != channel))
                    c.Execute(LedgerSql.InsertOptOut, new { contactId, category, channel = other.Name() }, tx);
            }
            detail = $"opted back in to '{category}' {On(channel)} ({why})";
        }
        InsertEvents(c, tx, [PreferenceEvent(schoolId, contactId, announcementId, channel, source, detail, now, null, null)]);
        tx.Commit();
        HeraldMetrics.EventsRecorded.WithLabels("none", source.Name(), "false").Inc();
        return true;
    }

    /// <summary>
    /// A recipient's choices on the preference page, in one transaction: for each (category, channel) whether the
    /// contact receives it. Each choice that differs from the contact's opt-outs now is one change and one event in the
    /// full log; a choice already in place writes nothing (a repeated post changes nothing). An opt-out of every channel
    /// that is opted back in on one channel stays out on the others. Answers the changes made, in order; none for a
    /// contact that no longer exists.
    /// </summary>
    public IReadOnlyList<(string Category, Channel Channel, bool Receive)> RecordPreferenceChoices(long schoolId, long contactId,
        IReadOnlyCollection<(string Category, Channel Channel, bool Receive)> choices, EventSource source, long? announcementId, string why)
    {
        var now = DbTime.Ms(time.GetUtcNow());
        var made = new List<(string Category, Channel Channel, bool Receive)>();
        using var c = db.Open();
        using var tx = c.BeginTransaction();
        if (c.QuerySingleOrDefault<long?>(Fill(LedgerSql.LockContact), new { schoolId, contactId }, tx) is null) return made;
        var current = OptOutsOf(c, tx, contactId);
        var events = new List<EventRow>();
        foreach (var (category, channel, receive) in choices.Distinct()
                     .OrderBy(x => x.Category, StringComparer.Ordinal).ThenBy(x => x.Channel))
        {
            var all = new OptOut(category, null);
            var one = new OptOut(category, channel);
            var isOut = current.Contains(all) || current.Contains(one);
            if (isOut != receive) continue;
            if (!receive)
            {
                c.Execute(LedgerSql.InsertOptOut, new { contactId, category, channel = channel.Name() }, tx);
                current.Add(one);
            }
            else
            {
                if (current.Remove(one)) DeleteOptOut(c, tx, contactId, one);
                if (current.Remove(all))
                {
                    DeleteOptOut(c, tx, contactId, all);
                    foreach (var other in Enum.GetValues<Channel>().Where(x => x != channel))
                        if (current.Add(new OptOut(category, other)))
                            c.Execute(LedgerSql.InsertOptOut, new { contactId, category, channel = other.Name() }, tx);
                }
            }
            made.Add((category, channel, receive));
            var detail = receive ? $"opted back in to '{category}' {On(channel)} ({why})" : $"opted out of '{category}' {On(channel)} ({why})";
            events.Add(PreferenceEvent(schoolId, contactId, announcementId, channel, source, detail, now, null, null));
        }
        if (events.Count == 0) return made;
        InsertEvents(c, tx, events);
        tx.Commit();
        HeraldMetrics.EventsRecorded.WithLabels("none", source.Name(), "false").Inc(events.Count);
        return made;
    }

    private static HashSet<OptOut> OptOutsOf(DbConnection c, DbTransaction tx, long contactId) =>
        c.Query<(string Category, string? Channel)>(LedgerSql.OptOutsOf, new { contactId }, tx)
            .Select(x => new OptOut(x.Category, x.Channel is null ? null : Wire.ParseChannel(x.Channel))).ToHashSet();

    private static void DeleteOptOut(DbConnection c, DbTransaction tx, long contactId, OptOut o) =>
        c.Execute(o.Channel is null ? LedgerSql.DeleteOptOutAllChannels : LedgerSql.DeleteOptOut,
            new { contactId, category = o.Category, channel = o.Channel?.Name() }, tx);

    private static string On(Channel? channel) => channel is { } ch ? $"by {ch.Name()}" : "on every channel";

    /// <summary>A preference change in the log: no delivery and no status; the announcement whose link or reply made it.</summary>
    private static EventRow PreferenceEvent(long schoolId, long contactId, long? announcementId, Channel? channel, EventSource source,
        string detail, long now, string? actor, long? keyId) =>
        new(schoolId, contactId, null, announcementId, channel?.Name(), null, null, false, source, detail, null, now, Actor: actor, KeyId: keyId);

    // ============================================================================================== helpers

    private void InsertEvents(DbConnection c, DbTransaction tx, IReadOnlyList<EventRow> events)
    {
        var batch = new Statements(c);
        InsertEvents(batch, events);
        batch.Execute(tx);
    }

    private void InsertEvents(Statements batch, IReadOnlyList<EventRow> events)
    {
        var recordedAt = DbTime.Ms(time.GetUtcNow());
        if (events.Count == 0) return;
        var values = new Rows(db, LedgerSql.EventColumns);
        foreach (var e in events)
            values.Add(e.SchoolId, e.ContactId, e.DeliveryId, e.AnnouncementId, e.Channel, e.Attempt, e.Status?.Name(), e.Changed ? 1 : 0,
                e.Source.Name(), Truncate(e.Detail, 8000), e.ProviderEventId, e.OccurredAt, recordedAt, e.MessageId, Truncate(e.Actor, 200), e.KeyId);
        batch.Add(values, LedgerSql.InsertEvents);
    }

    /// <summary>Adds the deltas, summed per counter first: one row per key (PostgreSQL refuses a key twice in one upsert).</summary>
    private void AddCounts(DbConnection c, DbTransaction tx, IEnumerable<(long Announcement, string Channel, string Status, long Delta)> deltas)
    {
        var batch = new Statements(c);
        AddCounts(batch, deltas);
        batch.Execute(tx);
    }

    private void AddCounts(Statements batch, IEnumerable<(long Announcement, string Channel, string Status, long Delta)> deltas)
    {
        var sums = deltas.GroupBy(d => (d.Announcement, d.Channel, d.Status)).Select(g => (g.Key, N: g.Sum(x => x.Delta))).Where(x => x.N != 0).ToList();
        if (sums.Count == 0) return;
        var values = new Rows(db, LedgerSql.CountColumns);
        foreach (var (key, n) in sums) values.Add(key.Announcement, key.Channel, key.Status, n);
        batch.Add(values, LedgerSql.AddCounts);
    }

    private string Fill(string sql) => sql
        .Replace("{db_now}", db.NowMs)
        .Replace("{for_update}", db.ForUpdate)
        .Replace("{skip_locked}", db.ForUpdateSkipLocked);

    internal static string? Truncate(string? s, int max) => s is null || s.Length <= max ? s : s[..max];

    /// <summary>A group's rows for one statement, passed as one JSON parameter and read back as a table <c>v</c> with
    /// typed columns (<c>jsonb_to_recordset</c> on PostgreSQL, <c>json_each</c> on SQLite).</summary>
    private sealed class Rows(Database db, (string Name, string Type)[] columns)
    {
        private readonly List<Dictionary<string, object?>> _rows = [];
        public int Count => _rows.Count;

        public void Add(params object?[] cells)
        {
            var row = new Dictionary<string, object?>(columns.Length);
            for (var i = 0; i < columns.Length; i++) row[columns[i].Name] = cells[i];
            _rows.Add(row);
        }

        public object Parameters => new { rows = Json };

        public string Json => System.Text.Json.JsonSerializer.Serialize(_rows);

        public string Fill(string sql, string parameter = "rows") => sql.Replace("{rows}", db.Provider == DatabaseProvider.Postgres
            ? $"jsonb_to_recordset(CAST(@{parameter} AS jsonb)) AS v({string.Join(", ", columns.Select(c => $"{c.Name} {c.Type}"))})"
            : $"(SELECT {string.Join(", ", columns.Select(c => $"json_extract(value, '$.{c.Name}') AS {c.Name}"))} FROM json_each(@{parameter})) AS v");
    }

    /// <summary>Statements sent to the database as one command: one round trip for a group's update, log and counters
    /// (each round trip to PostgreSQL waits for its server process to be scheduled, which on a busy machine costs more
    /// than the statement).</summary>
    private sealed class Statements(DbConnection c)
    {
        private readonly List<string> _sql = [];
        private readonly DynamicParameters _parameters = new();

        public void Add(Rows rows, string template, long[]? ids = null)
        {
            var name = $"rows{_sql.Count}";
            var sql = rows.Fill(template, name);
            if (ids is not null)
            {
                sql = sql.Replace("{ids}", Database.InList(c, $"ids{_sql.Count}"));
                _parameters.Add($"ids{_sql.Count}", ids);
            }
            _sql.Add(sql);
            _parameters.Add(name, rows.Json);
        }

        public void Execute(DbTransaction tx)
        {
            if (_sql.Count > 0) c.Execute(string.Join(";\n", _sql), _parameters, tx);
        }
    }
}

using System.Data.Common;
using System.Security.Cryptography;
using Dapper;
using Herald.Core.Deliveries;
using Herald.Core.Sending;
using Herald.Observability;
using Herald.Storage;

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
/// </list>
/// </summary>
public sealed class DeliveryLedger(Database db, TimeProvider time, LedgerOptions options)
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
            values.Add(schoolId, announcementId, d.ContactId, d.Channel.Name(), d.Address, d.Status.Name(), now, d.Reason,
                d.Status == DeliveryStatus.Queued ? now : null);
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
        foreach (var r in restarts)
        {
            var row = c.QuerySingle<Row>(Fill(LedgerSql.LockDelivery), new { id = r.DeliveryId }, tx);
            c.Execute(LedgerSql.RestartDelivery, new
            {
                attempt = r.NewAttempt, address = r.Address, status = r.Status.Name(), now, reason = r.Reason, by = r.By, id = r.DeliveryId,
                next = r.Status == DeliveryStatus.Queued ? now : (long?)null,
            }, tx);
            events.Add(new(row.school_id, row.contact_id, row.id, row.announcement_id, row.channel, r.NewAttempt, r.Status, true,
                EventSource.Decision, r.Detail, null, now, KeyId: keyId));
            counts.Add((r.AnnouncementId, r.Channel.Name(), r.From.Name(), -1));
            counts.Add((r.AnnouncementId, r.Channel.Name(), r.Status.Name(), +1));
        }
        InsertEvents(c, tx, events);
        AddCounts(c, tx, counts);
    }

    // ================================================================================================= claim

    /// <summary>Claims up to <paramref name="max"/> due deliveries for <paramref name="lease"/> (on the database's
    /// clock) under a new token. A crash only delays them until the lease lapses.</summary>
    public ClaimBatch Claim(int max, TimeSpan lease)
    {
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var claimedAt = time.GetUtcNow();
        using var c = db.Open();
        using var tx = c.BeginTransaction();
        var rows = c.Query<(long Id, long SchoolId, long AnnouncementId, long ContactId, string Channel, string? Address, long Attempt,
            long Tries, long FirstTryAt, long Settles)>(
            Fill(LedgerSql.ClaimDue), new { now = DbTime.Ms(claimedAt), leaseMs = (long)lease.TotalMilliseconds, token, n = max }, tx).ToList();
        tx.Commit();
        var claimed = rows.OrderBy(r => r.Id).Select(r => new ClaimedDelivery(r.Id, r.SchoolId, r.AnnouncementId, r.ContactId,
            Wire.ParseChannel(r.Channel), r.Address, (int)r.Attempt, (int)r.Tries, DbTime.At(r.FirstTryAt), r.Settles == 1)).ToList();
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
        var results = new List<CompletionResult>(group.Count);
        var events = new List<EventRow>();
        var counts = new List<(long, string, string, long)>();
        var update = new Rows(db, LedgerSql.CompleteColumns);
        var marks = new List<(Row Row, AddressState State, string? Why)>();
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
                applies && status == DeliveryStatus.SoftBounce ? DbTime.Ms(done.NextTryAt ?? nowAt) : null,
                done.Untried ? 1 : 0, done.MessageId);
            events.Add(new(row.school_id, row.contact_id, row.id, row.announcement_id, row.channel, attempt, done.Status, changed,
                done.Source, done.Detail, null, DbTime.Ms(done.At), done.MessageId));
            if (changed)
            {
                counts.Add((row.announcement_id, row.channel, current.Name(), -1));
                counts.Add((row.announcement_id, row.channel, status.Name(), +1));
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
        return results;
    }

    // ================================================================================================ record

    /// <summary>Records one piece of feedback in its own transaction.</summary>
    public RecordOutcome Record(DeliveryEvent e)
    {
        using var c = db.Open();
        using var tx = c.BeginTransaction();
        var outcome = RecordIn(c, tx, e);
        tx.Commit();
        Count(e, outcome);
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
        // An earlier attempt may have gone to an address the contact has since corrected, so its hard bounce does not
        // fail today's address; a spam complaint still suppresses it: a person who complained is not mailed again.
        if (e.BlamesAddress && e.Status is { } s && StatusPrecedence.AddressEffect(s) is { } state && d.address is not null
            && (!earlier || state == AddressState.Suppressed))
            MarkAddress(c, tx, d.school_id, d.channel, d.address, state, e.Reason ?? e.Detail, d.id, now, e.KeyId);
        return new(changed ? EventResult.Changed : EventResult.Logged, changed ? e.Status : current);
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
        var keys = hits.Select(h => (h.DeliveryId, h.Attempt)).Distinct().ToList();
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
        var done = new List<(DeliveryEvent? Event, RecordOutcome Outcome)>(hits.Count);
        foreach (var hit in hits)
        {
            var key = (hit.DeliveryId, hit.Attempt);
            if (!before.TryGetValue(key, out var seen)) { done.Add((null, new(EventResult.UnknownDelivery, null))); continue; }
            var first = hit.MachineRule is null ? hit.IsOpen && seen.Opens++ == 0 : hit.IsOpen && seen.MachineOpens++ == 0;
            before[key] = seen;
            var e = TrackingEvent(hit, first);
            done.Add(e is null ? (null, new RecordOutcome(EventResult.Duplicate, null)) : (e, RecordIn(c, tx, e)));
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

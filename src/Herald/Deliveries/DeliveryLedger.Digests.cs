using System.Data.Common;
using Dapper;
using Herald.Core.Deliveries;
using Herald.Storage;

namespace Herald.Deliveries;

/// <summary>
/// Digests (docs/preferences.md, "Digests"). A non-essential email to a contact on digest is opened
/// <c>pending_digest</c>, due when the contact's digest is. When it falls due, <b>pack</b> makes one digest per contact
/// and address and queues its deliveries together: the first (the lead) is due and is what the dispatcher claims,
/// sends and retries; the others are claimed with it and answered with it, and never sent on their own. From then on
/// each carried delivery moves through the ordinary statuses, and a bounce of the digest's message reaches every one.
/// </summary>
public sealed partial class DeliveryLedger
{
    private sealed class HeldRow
    {
        public long id { get; set; }
        public long school_id { get; set; }
        public long announcement_id { get; set; }
        public long contact_id { get; set; }
        public string? address { get; set; }
        public long attempt { get; set; }
        public long next_try_at { get; set; }
    }

    /// <summary>True when a held delivery's digest is due (a read, no lock).</summary>
    public bool AnyDigestDue()
    {
        using var c = db.Open();
        return c.ExecuteScalar<long>(LedgerSql.AnyDigestDue, new { now = DbTime.Ms(time.GetUtcNow()) }) > 0;
    }

    /// <summary>Packs the held deliveries whose digest is due, for up to <paramref name="maxContacts"/> contacts, in one
    /// transaction: a digest row per contact and address, its deliveries queued with their event in the log ("carried by
    /// digest N") and the counters moved. Returns how many digests it made. Exactly once: the status moves only from
    /// <c>pending_digest</c>, and only one packer works at a time.</summary>
    public int PackDigests(int maxContacts)
    {
        var now = DbTime.Ms(time.GetUtcNow());
        using var c = db.Open();
        using var tx = c.BeginTransaction();
        if (db.Provider == DatabaseProvider.Postgres && !c.ExecuteScalar<bool>(LedgerSql.TryPackLock, transaction: tx)) return 0;
        var contacts = c.Query<long>(LedgerSql.DueDigestContacts, new { now, n = maxContacts }, tx).ToArray();
        if (contacts.Length == 0) return 0;
        var held = c.Query<HeldRow>(Fill(LedgerSql.DueHeldOf).Replace("{ids}", Database.InList(c, "ids")), new { ids = contacts, now }, tx).ToList();
        var events = new List<EventRow>();
        var counts = new List<(long, string, string, long)>();
        var made = 0;
        foreach (var digest in held.GroupBy(h => (h.contact_id, h.address)))
        {
            var members = digest.OrderBy(m => m.id).ToList();
            var lead = members[0];
            var digestId = c.ExecuteScalar<long>(LedgerSql.InsertDigest, new
            {
                schoolId = lead.school_id, contactId = lead.contact_id, address = lead.address ?? "", dueAt = members.Max(m => m.next_try_at), now,
                lead = lead.id, size = members.Count,
            }, tx);
            var ids = members.Select(m => m.id).ToArray();
            c.Execute(LedgerSql.PackDigest.Replace("{ids}", Database.InList(c, "ids")),
                new { now, reason = $"carried by digest {digestId}", digestId, lead = lead.id, ids }, tx);
            var carries = string.Join(", ", members.Select(m => $"#{m.announcement_id}"));
            foreach (var m in members)
            {
                events.Add(new(m.school_id, m.contact_id, m.id, m.announcement_id, "email", m.attempt, DeliveryStatus.Queued, true, EventSource.Decision,
                    $"the contact's digest fell due: carried by digest {digestId} to {m.address}, with {members.Count} announcement(s) ({carries})",
                    null, now));
                counts.Add((m.announcement_id, "email", DeliveryStatus.PendingDigest.Name(), -1));
                counts.Add((m.announcement_id, "email", DeliveryStatus.Queued.Name(), +1));
            }
            made++;
        }
        InsertEvents(c, tx, events);
        AddCounts(c, tx, counts);
        tx.Commit();
        return made;
    }

    /// <summary>
    /// A contact's digest choice changed (the contacts API, an import, the preference page), in the caller's
    /// transaction: one event in the contact's log saying from what to what and how. Held deliveries follow the new
    /// choice: with no digest any more (<paramref name="due"/> null) they are queued now, each on its own; with another
    /// schedule they fall due on it.
    /// </summary>
    /// <param name="how">How the change was made, for the log (e.g. "through the contacts API").</param>
    public void ChangeDigest(DbConnection c, DbTransaction tx, long schoolId, long contactId, string from, string to, DateTimeOffset? due,
        EventSource source, string how, long? keyId = null)
    {
        var now = DbTime.Ms(time.GetUtcNow());
        var events = new List<EventRow>
        {
            PreferenceEvent(schoolId, contactId, null, Channel.Email, source,
                $"digest changed from {from} to {to} {how}{(due is { } d ? $"; held announcements now due {d:u}" : "")}", now, null, keyId),
        };
        if (due is { } at)
            c.Execute(LedgerSql.RescheduleHeld, new { contactId, due = DbTime.Ms(at) }, tx);
        else
        {
            var released = c.Query<(long Id, long SchoolId, long AnnouncementId, string Channel, long Attempt)>(LedgerSql.ReleaseHeld,
                new { contactId, now, reason = "the contact left the digest" }, tx).ToList();
            foreach (var r in released)
                events.Add(new(r.SchoolId, contactId, r.Id, r.AnnouncementId, r.Channel, r.Attempt, DeliveryStatus.Queued, true, EventSource.Decision,
                    $"the contact left the digest ({to} {how}): queued now on its own", null, now, KeyId: keyId));
            AddCounts(c, tx, released.SelectMany(r => new[]
            {
                (r.AnnouncementId, r.Channel, DeliveryStatus.PendingDigest.Name(), -1L), (r.AnnouncementId, r.Channel, DeliveryStatus.Queued.Name(), 1L),
            }));
        }
        InsertEvents(c, tx, events);
    }

    /// <summary>The deliveries among <paramref name="rows"/> that a digest carries without being its lead: they follow the
    /// lead's schedule and have no next try of their own.</summary>
    private static HashSet<long> Carried(DbConnection c, DbTransaction tx, IEnumerable<Row> rows)
    {
        var inDigests = rows.Where(r => r.digest_id is not null).ToList();
        if (inDigests.Count == 0) return [];
        var ids = inDigests.Select(r => r.digest_id!.Value).Distinct().ToArray();
        var leads = c.Query<(long Id, long Lead)>(LedgerSql.DigestLeads.Replace("{ids}", Database.InList(c, "ids")), new { ids }, tx)
            .ToDictionary(x => x.Id, x => x.Lead);
        return inDigests.Where(r => leads.GetValueOrDefault(r.digest_id!.Value) != r.id).Select(r => r.id).ToHashSet();
    }

    /// <summary>
    /// Bounce mail (a DSN, a complaint, an auto-reply) is about a message; a digest's message carries several deliveries,
    /// so the event is recorded on each of them, each through its own precedence. The bounce names one of them (the
    /// lead's VERP token, or the Message-ID with the address); the others are those still carried by the same digest. All
    /// are locked in id order first, as a completing group locks them, so the two cannot deadlock. Feedback about an
    /// earlier attempt than the named delivery's stays with that delivery (its digest may not be the one bounced).
    /// </summary>
    private RecordOutcome RecordForDigest(DbConnection c, DbTransaction tx, DeliveryEvent e)
    {
        var digestId = c.ExecuteScalar<long?>("SELECT digest_id FROM deliveries WHERE id = @id", new { id = e.DeliveryId }, tx);
        if (digestId is null) return RecordIn(c, tx, e);
        c.Query<long>($"SELECT id FROM deliveries WHERE digest_id = @digestId ORDER BY id{db.ForUpdate}", new { digestId }, tx).AsList();
        var attempt = c.ExecuteScalar<long>("SELECT attempt FROM deliveries WHERE id = @id", new { id = e.DeliveryId }, tx);
        var outcome = RecordIn(c, tx, e);
        if (outcome.Result is EventResult.Duplicate or EventResult.UnknownDelivery || e.Attempt is { } a && a < attempt) return outcome;
        foreach (var (id, siblingAttempt) in c.Query<(long, long)>(LedgerSql.DigestSiblings, new { digestId, id = e.DeliveryId }, tx).ToList())
            RecordIn(c, tx, e with
            {
                DeliveryId = id, Attempt = (int)siblingAttempt,
                Detail = $"{e.Detail} (the message was digest {digestId}, which carried this announcement too)",
            });
        return outcome;
    }
}

using Dapper;
using Herald.Core.Deliveries;
using Herald.Core.Sending;
using Herald.Deliveries;
using Herald.Observability;
using Herald.Schools;
using Herald.Sms;
using Herald.Storage;

namespace Herald.Announcements;

/// <summary>How many deliveries a send created, by channel and first status.</summary>
public sealed record SendSummary(long AnnouncementId, int Recipients, IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> Decisions);

/// <summary>
/// Sending an announcement: one delivery per recipient and channel, each starting with its decision
/// (delivery-model.md) as its first event, opened by the ledger with the report's counters. A large audience is opened
/// in chunks, each its own short transaction, so the database's write lock is never held for long (SQLite has one for
/// the whole file). A crash part-way leaves the announcement sent with its fan-out unfinished; sending it again
/// finishes it, skipping the recipients that already have their delivery.
/// </summary>
public sealed class AnnouncementSender(Database db, TimeProvider time, DeliveryLedger ledger, DispatchSignal signal, SmsOptions sms)
{
    /// <summary>Recipients opened per transaction.</summary>
    public const int ChunkSize = 500;

    internal sealed class Recipient
    {
        public long id { get; set; }
        public string? name { get; set; }
        public string? external_id { get; set; }
        public string? email { get; set; }
        public string? mobile { get; set; }
        public long digest { get; set; }
        public string? digest_schedule { get; set; }
    }

    /// <summary>Thrown when the announcement was already sent.</summary>
    public sealed class AlreadySent(long id) : Exception($"announcement {id} was already sent");

    /// <param name="keyId">The API key that sends (null from the CLI): kept as the announcement's <c>sent_key_id</c> and
    /// on every decision in the log.</param>
    public SendSummary Send(School school, long announcementId, long? keyId = null)
    {
        var now = DbTime.Ms(time.GetUtcNow());
        Announcement a;
        using (var c = db.Open())
        using (var tx = c.BeginTransaction())
        {
            // Claiming the draft first makes a double click send once, also across processes; an announcement whose
            // fan-out a crash interrupted is taken up again where it stopped.
            var claimed = c.Execute(
                "UPDATE announcements SET state = 'sent', sent_at = @now, sent_key_id = @keyId, fanout_done = 0 WHERE id = @announcementId AND school_id = @schoolId AND state = 'draft'",
                new { now, announcementId, schoolId = school.Id, keyId }, tx) == 1;
            if (!claimed && c.ExecuteScalar<long?>("SELECT fanout_done FROM announcements WHERE id = @announcementId AND school_id = @schoolId",
                    new { announcementId, schoolId = school.Id }, tx) != 0)
                throw new AlreadySent(announcementId);
            a = new AnnouncementStore(db, time).GetAnyWith(c, tx, announcementId);
            tx.Commit();
        }

        List<Recipient> recipients;
        Decider decider;
        using (var c = db.Open())
        using (var tx = db.BeginSnapshot(c))
        {
            recipients = Audience(c, tx, school.Id, a.Audience);
            decider = new Decider(c, tx, school, a);
        }

        var tally = new Dictionary<(Channel, DeliveryStatus), int>();
        foreach (var chunk in recipients.Chunk(ChunkSize))
        {
            var rows = new List<NewDelivery>();
            var fallbacks = new List<(long, Channel, DeliveryStatus, PlannedFallback)>();
            foreach (var r in chunk)
            {
                var plan = decider.Plan(r.id, r.email, r.mobile, r.digest == 1, sms.MaxParts);
                foreach (var (channel, (decision, address)) in plan.Decisions)
                {
                    var raw = channel == Channel.Email ? r.email : r.mobile;
                    var due = decision.Status == DeliveryStatus.PendingDigest ? (DateTimeOffset?)DigestDue.Of(school, r.digest, r.digest_schedule, time.GetUtcNow()) : null;
                    rows.Add(new(r.id, channel, address, decision.Status, decision.Reason,
                        $"{decision.Reason}{DigestDue.Said(school, due)}{(raw is null ? "" : $" ({raw})")}", due));
                }
                // An essential announcement's delivery that cannot start falls back to the other channel (FallbackPolicy).
                foreach (var f in plan.Fallbacks)
                    fallbacks.Add((r.id, f.From, plan.Decisions.First(d => d.Channel == f.From).Decision.Decision.Status,
                        new PlannedFallback(f.Plan.To!.Value, f.Target?.Address, f.Plan.Send, f.Plan.Detail!)));
            }
            using var c = db.Open();
            using var tx = c.BeginTransaction();
            foreach (var (k, n) in ledger.Open(c, tx, school.Id, a.Id, rows, keyId)) tally[k] = tally.GetValueOrDefault(k) + n;
            foreach (var (k, n) in ledger.OpenFallbacks(c, tx, school.Id, a.Id, fallbacks, keyId)) tally[k] = tally.GetValueOrDefault(k) + n;
            tx.Commit();
            signal.Wake();
        }
        using (var c = db.Open())
            c.Execute("UPDATE announcements SET fanout_done = 1 WHERE id = @id", new { id = a.Id });

        foreach (var ((ch, status), n) in tally) HeraldMetrics.Decisions.WithLabels(ch.Name(), status.Name()).Inc(n);
        signal.Wake();
        return new(a.Id, recipients.Count, tally.GroupBy(t => t.Key.Item1.Name())
            .ToDictionary(g => g.Key, g => (IReadOnlyDictionary<string, int>)g.ToDictionary(t => t.Key.Item2.Name(), t => t.Value)));
    }

    /// <summary>The contacts an audience names, in id order (the send and the reach check).</summary>
    internal static List<Recipient> Audience(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction tx, long s, Audience audience)
    {
        const string cols = "SELECT id, name, external_id, email, mobile, digest, digest_schedule FROM contacts WHERE school_id = @s";
        if (audience.All == true) return c.Query<Recipient>(cols + " ORDER BY id", new { s }, tx).ToList();
        if (audience.Groups is { Count: > 0 } groups)
            return c.Query<Recipient>(cols + $" AND id IN (SELECT contact_id FROM contact_groups WHERE school_id = @s AND group_name {Database.InList(c, "groups")}) ORDER BY id",
                new { s, groups }, tx).ToList();
        var ids = audience.ContactIds?.Distinct().ToArray() ?? [];
        return ids.Chunk(500).SelectMany(chunk => c.Query<Recipient>(cols + $" AND id {Database.InList(c, "chunk")}", new { s, chunk }, tx)).OrderBy(r => r.id).ToList();
    }
}

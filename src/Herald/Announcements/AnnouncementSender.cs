using Dapper;
using Herald.Core.Deliveries;
using Herald.Core.Sending;
using Herald.Dispatch;
using Herald.Events;
using Herald.Observability;
using Herald.Schools;
using Herald.Sms;
using Herald.Storage;

namespace Herald.Announcements;

/// <summary>How many deliveries a send created, by channel and first status.</summary>
public sealed record SendSummary(long AnnouncementId, int Recipients, IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> Decisions);

/// <summary>
/// Sending an announcement: one delivery per recipient and channel, each starting with its decision
/// (delivery-model.md) recorded as its first event, all in one transaction with the report's counters.
/// </summary>
public sealed class AnnouncementSender(Database db, TimeProvider time, DispatchSignal signal)
{
    private sealed class Recipient
    {
        public long id { get; set; }
        public string? email { get; set; }
        public string? mobile { get; set; }
        public long digest { get; set; }
    }

    /// <summary>Thrown when the announcement was already sent.</summary>
    public sealed class AlreadySent(long id) : Exception($"announcement {id} was already sent");

    public SendSummary Send(School school, long announcementId)
    {
        var nowAt = time.GetUtcNow();
        var now = DbTime.Ms(nowAt);
        using var c = db.Open();
        using var tx = c.BeginTransaction();
        // Claiming the draft first makes a double click send once, also across processes.
        if (c.Execute("UPDATE announcements SET state = 'sent', sent_at = @now WHERE id = @announcementId AND school_id = @schoolId AND state = 'draft'",
                new { now, announcementId, schoolId = school.Id }, tx) == 0)
            throw new AlreadySent(announcementId);
        var a = new AnnouncementStore(db, time).GetAnyWith(c, tx, announcementId);

        var recipients = Audience(c, tx, school.Id, a.Audience);
        var decider = new Decider(c, tx, school, a);

        var tally = new Dictionary<(string, string), int>();
        foreach (var r in recipients)
            foreach (var channel in a.Channels)
            {
                var ch = channel.Name();
                var (decision, address) = decider.Decide(channel, r.id, r.email, r.mobile, r.digest == 1);
                var raw = channel == Channel.Email ? r.email : r.mobile;
                var deliveryId = c.ExecuteScalar<long>(
                    """
                    INSERT INTO deliveries (school_id, announcement_id, contact_id, channel, address, status, status_at, reason, next_try_at)
                    VALUES (@s, @a, @contact, @ch, @addr, @status, @now, @reason, @next) RETURNING id
                    """,
                    new
                    {
                        s = school.Id, a = a.Id, contact = r.id, ch, addr = address, status = decision.Status.Name(), now,
                        reason = decision.Reason, next = decision.Status == DeliveryStatus.Queued ? now : (long?)null,
                    }, tx);
                c.Execute(
                    """
                    INSERT INTO events (school_id, contact_id, delivery_id, announcement_id, channel, attempt, status, changed, source, detail, occurred_at, recorded_at)
                    VALUES (@s, @contact, @deliveryId, @a, @ch, 1, @status, 1, 'decision', @detail, @now, @now)
                    """,
                    new { s = school.Id, contact = r.id, deliveryId, a = a.Id, ch, status = decision.Status.Name(),
                        detail = $"{decision.Reason}{(raw is null ? "" : $" ({raw})")}", now }, tx);
                tally[(ch, decision.Status.Name())] = tally.GetValueOrDefault((ch, decision.Status.Name())) + 1;
            }
        foreach (var ((ch, status), n) in tally) Counts.Add(c, tx, a.Id, ch, status, n);
        tx.Commit();

        foreach (var ((ch, status), n) in tally) HeraldMetrics.Decisions.WithLabels(ch, status).Inc(n);
        signal.Wake();
        return new(a.Id, recipients.Count, tally.GroupBy(t => t.Key.Item1)
            .ToDictionary(g => g.Key, g => (IReadOnlyDictionary<string, int>)g.ToDictionary(t => t.Key.Item2, t => t.Value)));
    }

    private static List<Recipient> Audience(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction tx, long s, Audience audience)
    {
        const string cols = "SELECT id, email, mobile, digest FROM contacts WHERE school_id = @s";
        if (audience.All == true) return c.Query<Recipient>(cols + " ORDER BY id", new { s }, tx).ToList();
        if (audience.Groups is { Count: > 0 } groups)
            return c.Query<Recipient>(cols + $" AND id IN (SELECT contact_id FROM contact_groups WHERE school_id = @s AND group_name {Database.InList(c, "groups")}) ORDER BY id",
                new { s, groups }, tx).ToList();
        var ids = audience.ContactIds?.Distinct().ToArray() ?? [];
        return ids.Chunk(500).SelectMany(chunk => c.Query<Recipient>(cols + $" AND id {Database.InList(c, "chunk")}", new { s, chunk }, tx)).OrderBy(r => r.id).ToList();
    }
}

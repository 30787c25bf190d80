using System.Data.Common;
using System.Text.Json;
using Dapper;
using Herald.Core.Deliveries;
using Herald.Core.Sending;
using Herald.Deliveries;
using Herald.Schools;
using Herald.Sms;
using Herald.Storage;

namespace Herald.Announcements;

/// <summary>A resend request: everyone in some statuses, or some contacts, of one announcement.</summary>
/// <param name="Statuses">Resend recipients currently in these statuses (e.g. email_missing, dropped).</param>
/// <param name="ContactIds">Or: these recipients.</param>
/// <param name="Channels">Only these channels (default both).</param>
/// <param name="Force">Also resend recipients it already reached (sent, delivered, opened, clicked); logged as forced.</param>
/// <param name="DryRun">Only answer what would happen.</param>
/// <param name="By">Who asks (shown in the report and the log).</param>
public sealed record ResendInput(IReadOnlyList<string>? Statuses, IReadOnlyList<long>? ContactIds, IReadOnlyList<string>? Channels,
    bool? Force, bool? DryRun, string? By);

/// <summary>A recipient left out, and why.</summary>
public sealed record ResendSkip(long DeliveryId, long ContactId, string Channel, string Status, string Why);

/// <summary>What a resend did (or, for a dry run, would do): new first statuses per channel, and the skipped recipients.</summary>
public sealed record ResendResult(long AnnouncementId, bool DryRun, int Resent, IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> Outcomes,
    IReadOnlyList<ResendSkip> Skipped, bool Replayed = false);

/// <summary>
/// Resending after a fix: a new attempt of the same delivery against the contact's current profile, through the
/// same decisions as a first send. Candidates are locked (FOR UPDATE on PostgreSQL, an exclusive transaction on
/// SQLite) and re-read, so overlapping resends claim each recipient once; an idempotency key replays the first answer.
/// A dry run is the same work rolled back, so it cannot disagree with the real thing.
/// </summary>
public sealed class Resender(Database db, TimeProvider time, DeliveryLedger ledger, DispatchSignal signal)
{
    private sealed class Candidate
    {
        public long id { get; set; }
        public long contact_id { get; set; }
        public string channel { get; set; } = "";
        public string status { get; set; } = "";
        public long attempt { get; set; }
        public string? email { get; set; }
        public string? mobile { get; set; }
        public long? digest { get; set; }
    }

    public sealed class Invalid(string field, string message) : Exception(message)
    {
        public string Field { get; } = field;
    }

    /// <param name="keyId">The API key that resends (null from the CLI): kept on the resend request and on every decision
    /// in the log.</param>
    public ResendResult Resend(School school, Announcement a, ResendInput input, string? idempotencyKey, long? keyId = null)
    {
        var statuses = new List<DeliveryStatus>();
        foreach (var s in input.Statuses ?? [])
            statuses.Add(Wire.TryParseStatus(s, out var st) ? st : throw new Invalid("statuses", $"'{s}' is not a status"));
        var channels = new List<Channel>();
        foreach (var ch in input.Channels ?? [])
            channels.Add(Wire.TryParseChannel(ch, out var parsed) ? parsed : throw new Invalid("channels", $"'{ch}' is not email or sms"));
        if (statuses.Count == 0 == (input.ContactIds is not { Count: > 0 }))
            throw new Invalid("statuses", "give either statuses (e.g. [\"email_missing\",\"dropped\"]) or contactIds");
        if (string.IsNullOrWhiteSpace(input.By) || input.By.Length > 200) throw new Invalid("by", "is required (who resends), at most 200 characters");
        if (idempotencyKey is { Length: > 200 }) throw new Invalid("Idempotency-Key", "is longer than 200 characters");
        var dryRun = input.DryRun == true;
        var force = input.Force == true;
        var nowAt = time.GetUtcNow();
        var now = DbTime.Ms(nowAt);

        using var c = db.Open();
        using var tx = c.BeginTransaction();
        if (!dryRun && idempotencyKey is not null)
        {
            var fresh = c.Execute("INSERT INTO resend_requests (school_id, idempotency_key, announcement_id, created_at, key_id) VALUES (@s, @k, @a, @now, @keyId) ON CONFLICT DO NOTHING",
                new { s = school.Id, k = idempotencyKey, a = a.Id, now, keyId }, tx);
            if (fresh == 0)
            {
                var stored = c.ExecuteScalar<string?>("SELECT result FROM resend_requests WHERE school_id = @s AND idempotency_key = @k", new { s = school.Id, k = idempotencyKey }, tx);
                tx.Rollback();
                return stored is null
                    ? throw new Invalid("Idempotency-Key", "a request with this key is still being processed")
                    : JsonSerializer.Deserialize<ResendResult>(stored, JsonSerializerOptions.Web)! with { Replayed = true };
            }
        }

        var where = statuses.Count > 0 ? $"d.status {Database.InList(c, "st")}" : $"d.contact_id {Database.InList(c, "ids")}";
        if (channels.Count > 0) where += $" AND d.channel {Database.InList(c, "chs")}";
        var candidates = c.Query<Candidate>(
            $"""
            SELECT d.id, d.contact_id, d.channel, d.status, d.attempt, c.email, c.mobile, c.digest
            FROM deliveries d LEFT JOIN contacts c ON c.id = d.contact_id
            WHERE d.announcement_id = @a AND d.school_id = @s AND {where} ORDER BY d.id{db.ForUpdate.Replace("FOR UPDATE", "FOR UPDATE OF d")}
            """,
            new { a = a.Id, s = school.Id, st = statuses.Select(x => x.Name()).ToArray(), ids = input.ContactIds?.ToArray() ?? [], chs = channels.Select(x => x.Name()).ToArray() }, tx).ToList();

        var decider = new Decider(c, tx, school, a);

        var outcomes = new Dictionary<(string, string), int>();
        var skipped = new List<ResendSkip>();
        var resent = 0;
        var restarts = new List<RestartedDelivery>();
        foreach (var d in candidates)
        {
            var current = Wire.ParseStatus(d.status);
            if (d.digest is null) { skipped.Add(new(d.id, d.contact_id, d.channel, d.status, "the contact was deleted")); continue; }
            switch (ResendPolicy.For(current, force))
            {
                case ResendVerdict.AlreadyReached:
                    skipped.Add(new(d.id, d.contact_id, d.channel, d.status, "already reached the recipient; set force to send again"));
                    continue;
                case ResendVerdict.InProgress:
                    skipped.Add(new(d.id, d.contact_id, d.channel, d.status, "still in progress; it would be sent twice"));
                    continue;
            }
            var (decision, address) = decider.Decide(Wire.ParseChannel(d.channel), d.contact_id, d.email, d.mobile, d.digest == 1);
            var forced = ResendPolicy.For(current, false) == ResendVerdict.AlreadyReached;
            var by = input.By!.Trim();
            var attempt = (int)d.attempt + 1;
            restarts.Add(new RestartedDelivery(d.id, a.Id, Wire.ParseChannel(d.channel), current, attempt, address, decision.Status, decision.Reason,
                $"{(forced ? "forced resend" : "resend")} by {by} (attempt {attempt}, was {d.status}): {decision.Reason}{(address is null ? "" : $" ({address})")}", by));
            outcomes[(d.channel, decision.Status.Name())] = outcomes.GetValueOrDefault((d.channel, decision.Status.Name())) + 1;
            resent++;
        }
        ledger.Restart(c, tx, restarts, keyId);
        var result = new ResendResult(a.Id, dryRun, resent, outcomes.GroupBy(o => o.Key.Item1)
            .ToDictionary(g => g.Key, g => (IReadOnlyDictionary<string, int>)g.ToDictionary(o => o.Key.Item2, o => o.Value)), skipped);
        if (dryRun) { tx.Rollback(); return result; }
        if (idempotencyKey is not null)
            c.Execute("UPDATE resend_requests SET result = @r WHERE school_id = @s AND idempotency_key = @k",
                new { r = JsonSerializer.Serialize(result, JsonSerializerOptions.Web), s = school.Id, k = idempotencyKey }, tx);
        tx.Commit();
        if (resent > 0) signal.Wake();
        return result;
    }

    /// <summary>Deliveries dropped for an address in the last <paramref name="days"/> days, per announcement (for resend after a reset).</summary>
    public IReadOnlyList<(long AnnouncementId, long ContactId)> DroppedFor(long schoolId, Channel channel, string address, int days)
    {
        using var c = db.Open();
        var since = DbTime.Ms(time.GetUtcNow().AddDays(-days));
        return c.Query<(long, long)>(
            "SELECT announcement_id, contact_id FROM deliveries WHERE school_id = @schoolId AND channel = @ch AND LOWER(address) = @address AND status = 'dropped' AND status_at >= @since ORDER BY announcement_id",
            new { schoolId, ch = channel.Name(), address = Core.Sending.AddressKey.Of(channel, address), since }).ToList();
    }
}

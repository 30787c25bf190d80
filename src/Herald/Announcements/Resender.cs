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

/// <summary>A resend's <c>Idempotency-Key</c>, and the API key that sent it: the same idempotency key is the same request
/// only from the same API key, for the same announcement.</summary>
public sealed record ResendKey(long ApiKeyId, string Value);

/// <summary>A recipient left out, and why.</summary>
public sealed record ResendSkip(long DeliveryId, long ContactId, string Channel, string Status, string Why);

/// <summary>What a resend did (or, for a dry run, would do): new first statuses per channel, and the skipped recipients.</summary>
public sealed record ResendResult(long AnnouncementId, bool DryRun, int Resent, IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> Outcomes,
    IReadOnlyList<ResendSkip> Skipped, bool Replayed = false);

/// <summary>
/// Resending after a fix: a new attempt of the same delivery against the contact's current profile, through the
/// same decisions as a first send. Candidates are locked (FOR UPDATE on PostgreSQL, an exclusive transaction on
/// SQLite) and re-read, so overlapping resends claim each recipient once; an idempotency key (per API key and announcement)
/// replays the first answer.
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
        public string? digest_schedule { get; set; }
    }

    public sealed class Invalid(string field, string message) : Exception(message)
    {
        public string Field { get; } = field;
    }

    /// <summary>An idempotency key already used, by the same API key for the same announcement, with another body.</summary>
    public sealed class KeyReused(string message) : Exception(message);

    /// <summary>Most contact ids in one resend: as many as an announcement's audience may list. Below SQLite's limit of
    /// variables in one statement (32,766), which the candidates query passes one per id; 40,000 was a 500.</summary>
    public const int MaxContactIds = AnnouncementRules.MaxContactIds;

    /// <summary>Most entries in the statuses and channels lists (there are fewer statuses than this; repeats are tolerated).</summary>
    public const int MaxStatuses = 50, MaxChannels = 10;

    /// <param name="keyId">The API key that resends (null from the CLI): kept on every decision in the log.</param>
    public ResendResult Resend(School school, Announcement a, ResendInput input, ResendKey? idempotencyKey, long? keyId = null)
    {
        if (input.ContactIds is { Count: > MaxContactIds })
            throw new Invalid("contactIds", $"has {input.ContactIds.Count} ids; the limit is {MaxContactIds} per resend (resend by statuses, or in several requests)");
        if (input.Statuses is { Count: > MaxStatuses }) throw new Invalid("statuses", $"has {input.Statuses.Count} entries; the limit is {MaxStatuses}");
        if (input.Channels is { Count: > MaxChannels }) throw new Invalid("channels", $"has {input.Channels.Count} entries; the limit is {MaxChannels}");
        var statuses = new List<DeliveryStatus>();
        foreach (var s in input.Statuses ?? [])
            statuses.Add(Wire.TryParseStatus(s, out var st) ? st : throw new Invalid("statuses", $"'{s}' is not a status"));
        var channels = new List<Channel>();
        foreach (var ch in input.Channels ?? [])
            channels.Add(Wire.TryParseChannel(ch, out var parsed) ? parsed : throw new Invalid("channels", $"'{ch}' is not email or sms"));
        if (statuses.Count == 0 == (input.ContactIds is not { Count: > 0 }))
            throw new Invalid("statuses", "give either statuses (e.g. [\"email_missing\",\"dropped\"]) or contactIds");
        if (string.IsNullOrWhiteSpace(input.By) || input.By.Length > 200) throw new Invalid("by", "is required (who resends), at most 200 characters");
        if (idempotencyKey is { Value.Length: > 200 }) throw new Invalid("Idempotency-Key", "is longer than 200 characters");
        var dryRun = input.DryRun == true;
        var force = input.Force == true;
        var nowAt = time.GetUtcNow();
        var now = DbTime.Ms(nowAt);

        using var c = db.Open();
        using var tx = c.BeginTransaction();
        // The key is scoped to (school, API key, announcement): another announcement, or another key's client, using the
        // same value is another request. Within that scope the body must be the same (a hash of it is kept), so a
        // client that reuses a key for a different resend is told so rather than answered with the first one's result.
        var scope = idempotencyKey is null ? null : new { s = school.Id, kid = idempotencyKey.ApiKeyId, a = a.Id, k = idempotencyKey.Value };
        var bodyHash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(input, JsonSerializerOptions.Web)));
        if (!dryRun && scope is not null)
        {
            var fresh = c.Execute(
                """
                INSERT INTO resend_requests (school_id, key_id, announcement_id, idempotency_key, body_hash, created_at)
                VALUES (@s, @kid, @a, @k, @hash, @now) ON CONFLICT DO NOTHING
                """, new { scope.s, scope.kid, scope.a, scope.k, hash = bodyHash, now }, tx);
            if (fresh == 0)
            {
                var stored = c.QuerySingle<(string Hash, string? Result)>(
                    "SELECT body_hash, result FROM resend_requests WHERE school_id = @s AND key_id = @kid AND announcement_id = @a AND idempotency_key = @k", scope, tx);
                tx.Rollback();
                if (stored.Hash != bodyHash)
                    throw new KeyReused($"Idempotency-Key '{scope.k}' was already used for a different resend of announcement {a.Id}; use a new key for a new request");
                return stored.Result is null
                    ? throw new Invalid("Idempotency-Key", "a request with this key is still being processed")
                    : JsonSerializer.Deserialize<ResendResult>(stored.Result, JsonSerializerOptions.Web)! with { Replayed = true };
            }
        }

        var where = statuses.Count > 0 ? $"d.status {Database.InList(c, "st")}" : $"d.contact_id {Database.InList(c, "ids")}";
        if (channels.Count > 0) where += $" AND d.channel {Database.InList(c, "chs")}";
        var candidates = c.Query<Candidate>(
            $"""
            SELECT d.id, d.contact_id, d.channel, d.status, d.attempt, c.email, c.mobile, c.digest, c.digest_schedule
            FROM deliveries d LEFT JOIN contacts c ON c.id = d.contact_id
            WHERE d.announcement_id = @a AND d.school_id = @s AND {where} ORDER BY d.id{db.ForUpdate.Replace("FOR UPDATE", "FOR UPDATE OF d")}
            """,
            new { a = a.Id, s = school.Id, st = statuses.Select(x => x.Name()).ToArray(), ids = input.ContactIds?.Distinct().ToArray() ?? [], chs = channels.Select(x => x.Name()).ToArray() }, tx).ToList();

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
            var due = decision.Status == DeliveryStatus.PendingDigest ? (DateTimeOffset?)DigestDue.Of(school, d.digest.Value, d.digest_schedule, time.GetUtcNow()) : null;
            restarts.Add(new RestartedDelivery(d.id, a.Id, Wire.ParseChannel(d.channel), current, attempt, address, decision.Status, decision.Reason,
                $"{(forced ? "forced resend" : "resend")} by {by} (attempt {attempt}, was {d.status}): {decision.Reason}{DigestDue.Said(school, due)}{(address is null ? "" : $" ({address})")}",
                by, due));
            outcomes[(d.channel, decision.Status.Name())] = outcomes.GetValueOrDefault((d.channel, decision.Status.Name())) + 1;
            resent++;
        }
        ledger.Restart(c, tx, restarts, keyId);
        var result = new ResendResult(a.Id, dryRun, resent, outcomes.GroupBy(o => o.Key.Item1)
            .ToDictionary(g => g.Key, g => (IReadOnlyDictionary<string, int>)g.ToDictionary(o => o.Key.Item2, o => o.Value)), skipped);
        if (dryRun) { tx.Rollback(); return result; }
        if (scope is not null)
            c.Execute("UPDATE resend_requests SET result = @r WHERE school_id = @s AND key_id = @kid AND announcement_id = @a AND idempotency_key = @k",
                new { r = JsonSerializer.Serialize(result, JsonSerializerOptions.Web), scope.s, scope.kid, scope.a, scope.k }, tx);
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

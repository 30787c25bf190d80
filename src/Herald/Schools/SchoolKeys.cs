using System.Data.Common;
using System.Security.Cryptography;
using Dapper;
using Herald.Storage;

namespace Herald.Schools;

/// <summary>A key just made: the only time its clear text exists outside the caller's hands.</summary>
public sealed record NewKey(long Id, string Key, string Prefix, DateTimeOffset? ExpiresAt);

/// <summary>A key as <c>herald keys list</c> shows it: never its hash.</summary>
/// <param name="State"><c>active</c>; <c>rotated</c> (replaced, still valid until <paramref name="ExpiresAt"/>);
/// <c>expired</c>; or <c>revoked</c>.</param>
/// <param name="ReplacedBy">The id of the key that replaced it (<c>herald keys rotate</c>).</param>
public sealed record KeyInfo(long Id, string Prefix, string Name, long? SchoolId, string? School, bool IsOperator, bool ReadOnly,
    DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt, long? ReplacedBy, string State);

/// <summary>The API keys' lifecycle: create, list, revoke, rotate, and authenticate a request's key.</summary>
public sealed partial class SchoolStore
{
    /// <summary>How stale <c>last_used_at</c> may be. Authenticating writes it only when the stored value is older than
    /// this: a key used by a busy integration costs one write a minute, not one per request (on SQLite every write
    /// takes the whole file's write lock). The condition is in the UPDATE itself, so several Herald processes sharing
    /// one database agree without a cache, and a list reads last use to within a minute.</summary>
    public static readonly TimeSpan LastUseResolution = TimeSpan.FromMinutes(1);

    /// <summary>The longest key name: it is shown in lists and recorded as the actor of the key's events.</summary>
    public const int MaxKeyName = 100;

    private sealed class KeyRow
    {
        public long id { get; set; }
        public long? school_id { get; set; }
        public string? slug { get; set; }
        public string name { get; set; } = "";
        public string key_prefix { get; set; } = "";
        public long is_operator { get; set; }
        public long read_only { get; set; }
        public long created_at { get; set; }
        public long? expires_at { get; set; }
        public long? last_used_at { get; set; }
        public long? revoked_at { get; set; }
        public long? replaced_by { get; set; }

        public KeyInfo ToInfo(long now) => new(id, key_prefix, name, school_id, slug, is_operator == 1, read_only == 1, DbTime.At(created_at),
            DbTime.At(expires_at), DbTime.At(last_used_at), DbTime.At(revoked_at), replaced_by,
            revoked_at is not null ? "revoked" : expires_at <= now ? "expired" : replaced_by is not null ? "rotated" : "active");
    }

    private const string KeySelect = """
        SELECT k.id, k.school_id, s.slug, k.name, k.key_prefix, k.is_operator, k.read_only, k.created_at, k.expires_at,
            k.last_used_at, k.revoked_at, k.replaced_by
        FROM api_keys k LEFT JOIN schools s ON s.id = k.school_id
        """;

    /// <summary>Creates a key (school or operator, optionally read-only, optionally expiring) and returns it in clear text.</summary>
    public NewKey CreateKey(long? schoolId, string name, bool isOperator, bool readOnly, DateTimeOffset? expiresAt)
    {
        if (schoolId is null == !isOperator) throw new ArgumentException("give either --school SLUG or --operator");
        CheckName(name);
        var now = time.GetUtcNow();
        if (expiresAt is { } e && e <= now) throw new ArgumentException($"--expires {e:u} is not in the future (now is {now:u})");
        using var c = db.Open();
        using var tx = c.BeginTransaction();
        var key = Insert(c, tx, schoolId, name.Trim(), isOperator, readOnly, expiresAt, DbTime.Ms(now));
        tx.Commit();
        return key;
    }

    /// <summary>Creates a school or operator key that never expires (for tests and scripts); returns the key itself.</summary>
    public string CreateKey(long? schoolId, string name, bool isOperator) => CreateKey(schoolId, name, isOperator, false, null).Key;

    private static NewKey Insert(DbConnection c, DbTransaction tx, long? schoolId, string name, bool isOperator, bool readOnly,
        DateTimeOffset? expiresAt, long now)
    {
        var key = "hk_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(32)).ToLowerInvariant();
        var id = c.ExecuteScalar<long>(
            """
            INSERT INTO api_keys (school_id, name, key_hash, key_prefix, is_operator, read_only, created_at, expires_at)
            VALUES (@schoolId, @name, @hash, @prefix, @op, @ro, @now, @expires) RETURNING id
            """,
            new
            {
                schoolId, name, hash = Hash(key), prefix = key[..10], op = isOperator ? 1 : 0, ro = readOnly ? 1 : 0, now,
                expires = expiresAt is { } e ? DbTime.Ms(e) : (long?)null,
            }, tx);
        return new NewKey(id, key, key[..10], expiresAt);
    }

    private static void CheckName(string name)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("--name must not be empty");
        if (name.Trim().Length > MaxKeyName) throw new ArgumentException($"--name is longer than {MaxKeyName} characters");
    }

    /// <summary>Keys, oldest first: by default only those that still work (active, or rotated and in their grace);
    /// <paramref name="all"/> adds revoked and expired ones.</summary>
    public IReadOnlyList<KeyInfo> Keys(long? schoolId, bool all)
    {
        var now = DbTime.Ms(time.GetUtcNow());
        using var c = db.Open();
        return c.Query<KeyRow>(KeySelect + """
             WHERE (@schoolId IS NULL OR k.school_id = @schoolId)
               AND (@all = 1 OR (k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > @now)))
            ORDER BY k.id
            """, new { schoolId, all = all ? 1 : 0, now }).Select(r => r.ToInfo(now)).ToList();
    }

    /// <summary>A key by its id, or by the prefix <c>herald keys list</c> shows (the whole key works too); a clear error
    /// naming what was asked for when there is none, or when a prefix fits several.</summary>
    public KeyInfo RequireKey(string idOrPrefix)
    {
        using var c = db.Open();
        return FindKey(c, null, idOrPrefix, DbTime.Ms(time.GetUtcNow()), lockRow: false);
    }

    private KeyInfo FindKey(DbConnection c, DbTransaction? tx, string idOrPrefix, long now, bool lockRow)
    {
        var text = idOrPrefix.Trim();
        var forUpdate = lockRow ? db.ForUpdate.Replace("FOR UPDATE", "FOR UPDATE OF k") : "";
        List<KeyRow> rows;
        if (long.TryParse(text, out var id))
            rows = c.Query<KeyRow>(KeySelect + " WHERE k.id = @id" + forUpdate, new { id }, tx).ToList();
        else if (text.StartsWith("hk_", StringComparison.Ordinal) && text.Length >= 10)
            rows = c.Query<KeyRow>(KeySelect + " WHERE k.key_prefix = @prefix ORDER BY k.id" + forUpdate, new { prefix = text[..10] }, tx).ToList();
        else
            throw new ArgumentException($"'{text}' is neither a key id nor a key prefix like hk_1a2b3c4 (see 'herald keys list --all')");
        return rows.Count switch
        {
            0 => throw new InvalidOperationException($"no key '{text}' (see 'herald keys list --all')"),
            1 => rows[0].ToInfo(now),
            _ => throw new InvalidOperationException($"the prefix '{text[..10]}' fits keys {string.Join(", ", rows.Select(r => r.id))}: give the id"),
        };
    }

    /// <summary>Revokes a key at once. Revoking a revoked key is an error that says when it was revoked.</summary>
    public KeyInfo Revoke(string idOrPrefix)
    {
        var now = DbTime.Ms(time.GetUtcNow());
        using var c = db.Open();
        using var tx = c.BeginTransaction();
        var k = FindKey(c, tx, idOrPrefix, now, lockRow: true);
        if (k.RevokedAt is { } at) throw new InvalidOperationException($"key {k.Id} ({k.Prefix}) was already revoked at {at:u}");
        c.Execute("UPDATE api_keys SET revoked_at = @now WHERE id = @id AND revoked_at IS NULL", new { now, id = k.Id }, tx);
        tx.Commit();
        return k with { RevokedAt = DbTime.At(now), State = "revoked" };
    }

    /// <summary>
    /// Rotation: a new key with the old one's school, name, operator and read-only flags, while the old one keeps
    /// working until now + <paramref name="grace"/> (never later than it would have expired anyway), so an integration
    /// can switch over without a failed request. A zero grace ends the old key at once. The new key expires after the
    /// same lifetime the old one had, counted from now, unless <paramref name="expiresAt"/> says otherwise.
    /// </summary>
    public (KeyInfo Old, NewKey New) Rotate(string idOrPrefix, TimeSpan grace, DateTimeOffset? expiresAt = null)
    {
        if (grace < TimeSpan.Zero) throw new ArgumentException("--grace must not be negative");
        var nowAt = time.GetUtcNow();
        var now = DbTime.Ms(nowAt);
        if (expiresAt is { } e && e <= nowAt) throw new ArgumentException($"--expires {e:u} is not in the future (now is {nowAt:u})");
        using var c = db.Open();
        using var tx = c.BeginTransaction();
        var old = FindKey(c, tx, idOrPrefix, now, lockRow: true);
        if (old.RevokedAt is { } revoked) throw new InvalidOperationException($"key {old.Id} ({old.Prefix}) was revoked at {revoked:u}; create a new key instead");
        if (old.ReplacedBy is { } by) throw new InvalidOperationException($"key {old.Id} ({old.Prefix}) was already rotated: its replacement is key {by}");
        if (old.State == "expired") throw new InvalidOperationException($"key {old.Id} ({old.Prefix}) expired at {old.ExpiresAt:u}; create a new key instead");
        var lifetime = old.ExpiresAt - old.CreatedAt;
        var fresh = Insert(c, tx, old.SchoolId, old.Name, old.IsOperator, old.ReadOnly, expiresAt ?? nowAt + lifetime, now);
        var ends = now + (long)grace.TotalMilliseconds;
        var endsAt = old.ExpiresAt is { } x && DbTime.Ms(x) < ends ? DbTime.Ms(x) : ends;
        c.Execute("UPDATE api_keys SET replaced_by = @fresh, expires_at = @endsAt WHERE id = @id", new { fresh = fresh.Id, endsAt, id = old.Id }, tx);
        tx.Commit();
        return (old with { ReplacedBy = fresh.Id, ExpiresAt = DbTime.At(endsAt), State = endsAt <= now ? "expired" : "rotated" }, fresh);
    }

    /// <summary>The caller behind a key, or null for an unknown, revoked or expired key (expiry on Herald's clock).
    /// One lookup by the hash's unique index; a write only when last use is more than a minute stale.</summary>
    public Caller? Authenticate(string key)
    {
        if (string.IsNullOrEmpty(key) || key.Length > 200) return null;
        var now = DbTime.Ms(time.GetUtcNow());
        using var c = db.Open();
        var row = c.QuerySingleOrDefault<KeyRow>(
            """
            SELECT id, school_id, name, is_operator, read_only, last_used_at FROM api_keys
            WHERE key_hash = @h AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > @now)
            """, new { h = Hash(key), now });
        if (row is null) return null;
        var stale = now - (long)LastUseResolution.TotalMilliseconds;
        if (row.last_used_at is not { } used || used <= stale)
        {
            // Last use is a hint for the operator, not part of the request: a write that loses a race for the database's
            // lock must not fail the call it describes.
            try
            {
                c.Execute("UPDATE api_keys SET last_used_at = @now WHERE id = @id AND (last_used_at IS NULL OR last_used_at <= @stale)",
                    new { now, id = row.id, stale });
            }
            catch (DbException) { }
        }
        return new Caller(row.id, row.name, row.school_id, row.is_operator == 1, row.read_only == 1);
    }
}

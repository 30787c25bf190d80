using System.Security.Cryptography;
using System.Text;
using Dapper;
using Herald.Core.Digests;
using Herald.Storage;

namespace Herald.Schools;

/// <summary>A tenant: one school, with its own contacts, announcements and sender identity.</summary>
/// <param name="Tracking">False: the school's emails carry no open pixel and no tracked links (<c>herald schools tracking</c>).</param>
/// <param name="Language">The default language of its staff's pages (<c>en</c>, <c>es</c>), or null for the browser's
/// (<c>herald schools update SLUG --language</c>).</param>
/// <param name="TimeZone">The school's clock, an IANA name (<c>Europe/London</c>): digests go out at its local times.</param>
/// <param name="Digest">The school's default digest schedule (<c>daily@17:00</c>), for contacts whose digest is <c>yes</c>.</param>
public sealed record School(long Id, string Slug, string Name, string? FromAddress, string? FromName, string? ReplyTo, string DefaultRegion,
    bool Tracking = true, string? Language = null, string TimeZone = SchoolStore.DefaultTimeZone, string Digest = SchoolStore.DefaultDigest)
{
    /// <summary>The school's time zone (validated when it was set; the database's default is a valid one).</summary>
    public TimeZoneInfo Zone => TimeZoneInfo.FindSystemTimeZoneById(TimeZone);

    /// <summary>The schedule of the school's default digest.</summary>
    public DigestSchedule DefaultDigestSchedule => DigestSchedule.TryParse(Digest, out _) ?? DigestSchedule.TryParse(SchoolStore.DefaultDigest, out _)!;

    /// <summary>When a contact with this choice next gets a digest, after <paramref name="now"/>; null when the contact
    /// takes every message at once.</summary>
    public DateTimeOffset? DigestDue(DigestChoice choice, DateTimeOffset now) => choice.Resolve(DefaultDigestSchedule)?.NextAfter(now, Zone);
}

/// <summary>Who is calling the API: a school's key, or an operator key that sees every school.</summary>
/// <param name="KeyId">The key's id (<c>herald keys list</c>): recorded on every write the key makes.</param>
/// <param name="ReadOnly">A read-only key may only read (GET), for support dashboards and monitoring.</param>
public sealed record Caller(long KeyId, string KeyName, long? SchoolId, bool IsOperator, bool ReadOnly = false);

/// <summary>Schools and their API keys (the keys' lifecycle is in SchoolKeys.cs). Keys are shown once and stored only
/// as a SHA-256 hash: they are 256-bit random secrets, so a fast hash loses nothing against guessing.</summary>
public sealed partial class SchoolStore(Database db, TimeProvider time)
{
    /// <summary>A school's slug: 1-40 of a-z, 0-9, '_', '.', '-', starting with a letter or digit.</summary>
    public static bool IsSlug(string? text) => text is not null && Slug().IsMatch(text);

    [System.Text.RegularExpressions.GeneratedRegex("^[a-z0-9][a-z0-9_.-]{0,39}$")]
    private static partial System.Text.RegularExpressions.Regex Slug();

    /// <summary>A new school's clock and default digest (the database's defaults too): Herald's default region is GB.</summary>
    public const string DefaultTimeZone = "Europe/London", DefaultDigest = "daily@17:00";

    /// <summary>An IANA time zone name, checked against the machine's time zone database (tzdata); the error names the
    /// value and what is expected.</summary>
    public static string CheckTimeZone(string? name)
    {
        var n = name?.Trim() ?? "";
        // Only IANA names (Area/City, or UTC): the same data on every machine, and what school systems store.
        if (n.Length is > 0 and <= 64 && (n.Contains('/') || n == "UTC"))
            try
            {
                TimeZoneInfo.FindSystemTimeZoneById(n);
                return n;
            }
            catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException) { }
        // No zone found at all: the machine has no time zone database (Debian's tzdata package, which .NET reads).
        if (!TimeZoneInfo.GetSystemTimeZones().Any(z => z.Id.Contains('/')))
            throw new ArgumentException($"time zone '{name}': this machine has no time zone database; install Debian's tzdata package");
        throw new ArgumentException($"time zone '{name}' is not an IANA time zone name like Europe/London, America/New_York or UTC");
    }

    /// <summary>A digest schedule in its canonical form (<c>daily@17:00</c>), or an error naming what is wrong.</summary>
    public static string CheckDigest(string? text) =>
        DigestSchedule.TryParse(text, out var problem)?.ToString() ?? throw new ArgumentException($"digest {problem}");

    private sealed class SchoolRow
    {
        public long id { get; set; }
        public string slug { get; set; } = "";
        public string name { get; set; } = "";
        public string? from_address { get; set; }
        public string? from_name { get; set; }
        public string? reply_to { get; set; }
        public string default_region { get; set; } = "GB";
        public long tracking { get; set; } = 1;
        public string? language { get; set; }
        public string time_zone { get; set; } = DefaultTimeZone;
        public string digest_schedule { get; set; } = DefaultDigest;
        public School ToSchool() => new(id, slug, name, from_address, from_name, reply_to, default_region, tracking != 0, language, time_zone,
            digest_schedule);
    }

    public School Add(string slug, string name, string? fromAddress, string? fromName, string? replyTo, string region, bool tracking = true,
        string timeZone = DefaultTimeZone, string digest = DefaultDigest)
    {
        timeZone = CheckTimeZone(timeZone);
        digest = CheckDigest(digest);
        using var c = db.Open();
        if (c.ExecuteScalar<long>("SELECT COUNT(*) FROM schools WHERE slug = @slug", new { slug }) > 0)
            throw new InvalidOperationException($"a school with slug '{slug}' already exists");
        var id = c.ExecuteScalar<long>(
            """
            INSERT INTO schools (slug, name, from_address, from_name, reply_to, default_region, created_at, tracking, time_zone, digest_schedule)
            VALUES (@slug, @name, @fromAddress, @fromName, @replyTo, @region, @now, @tracking, @timeZone, @digest) RETURNING id
            """, new { slug, name, fromAddress, fromName, replyTo, region, now = DbTime.Ms(time.GetUtcNow()), tracking = tracking ? 1 : 0, timeZone, digest });
        return new School(id, slug, name, fromAddress, fromName, replyTo, region, tracking, null, timeZone, digest);
    }

    /// <summary>Sets the school's clock and default digest (null: unchanged), validated first. Announcements held from
    /// now on follow them; those already held keep the time computed when they were held.</summary>
    public void SetDigestClock(long id, string? timeZone, string? digest)
    {
        var zone = timeZone is null ? null : CheckTimeZone(timeZone);
        var schedule = digest is null ? null : CheckDigest(digest);
        using var c = db.Open();
        c.Execute("UPDATE schools SET time_zone = COALESCE(@zone, time_zone), digest_schedule = COALESCE(@schedule, digest_schedule) WHERE id = @id",
            new { id, zone, schedule });
    }

    /// <summary>Switches opens-and-clicks tracking on or off for the school's emails sent from now on.</summary>
    public void SetTracking(long id, bool on)
    {
        using var c = db.Open();
        c.Execute("UPDATE schools SET tracking = @on WHERE id = @id", new { id, on = on ? 1 : 0 });
    }

    /// <summary>Sets the default language of the school's pages (null: the browser's).</summary>
    public void SetLanguage(long id, string? language)
    {
        using var c = db.Open();
        c.Execute("UPDATE schools SET language = @language WHERE id = @id", new { id, language });
    }

    /// <summary>The school's default page language alone (read on every page request of its staff).</summary>
    public string? LanguageOf(long id)
    {
        using var c = db.Open();
        return c.QuerySingleOrDefault<string?>("SELECT language FROM schools WHERE id = @id", new { id });
    }

    /// <summary>The school, read in the caller's transaction (the ledger's fallback planning).</summary>
    internal static School? GetWith(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction tx, long id) =>
        c.QuerySingleOrDefault<SchoolRow>("SELECT * FROM schools WHERE id = @id", new { id }, tx)?.ToSchool();

    public School? Get(long id)
    {
        using var c = db.Open();
        return c.QuerySingleOrDefault<SchoolRow>("SELECT * FROM schools WHERE id = @id", new { id })?.ToSchool();
    }

    /// <summary>Finds a school by slug, or by numeric id.</summary>
    /// <summary>The school, or a clear error naming what was asked for (for the CLI).</summary>
    public School Require(string slugOrId) =>
        Find(slugOrId) ?? throw new InvalidOperationException($"no school '{slugOrId}' (see 'herald schools list')");

    public School? Find(string slugOrId)
    {
        using var c = db.Open();
        var row = c.QuerySingleOrDefault<SchoolRow>("SELECT * FROM schools WHERE slug = @s", new { s = slugOrId });
        if (row is null && long.TryParse(slugOrId, out var id))
            row = c.QuerySingleOrDefault<SchoolRow>("SELECT * FROM schools WHERE id = @id", new { id });
        return row?.ToSchool();
    }

    public IReadOnlyList<School> List()
    {
        using var c = db.Open();
        return c.Query<SchoolRow>("SELECT * FROM schools ORDER BY id").Select(r => r.ToSchool()).ToList();
    }

    private static string Hash(string key) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}

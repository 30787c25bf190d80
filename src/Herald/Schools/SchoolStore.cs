using System.Security.Cryptography;
using System.Text;
using Dapper;
using Herald.Storage;

namespace Herald.Schools;

/// <summary>A tenant: one school, with its own contacts, announcements and sender identity.</summary>
/// <param name="Tracking">False: the school's emails carry no open pixel and no tracked links (<c>herald schools tracking</c>).</param>
/// <param name="Language">The default language of its staff's pages (<c>en</c>, <c>es</c>), or null for the browser's
/// (<c>herald schools update SLUG --language</c>).</param>
public sealed record School(long Id, string Slug, string Name, string? FromAddress, string? FromName, string? ReplyTo, string DefaultRegion,
    bool Tracking = true, string? Language = null);

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
        public School ToSchool() => new(id, slug, name, from_address, from_name, reply_to, default_region, tracking != 0, language);
    }

    public School Add(string slug, string name, string? fromAddress, string? fromName, string? replyTo, string region, bool tracking = true)
    {
        using var c = db.Open();
        if (c.ExecuteScalar<long>("SELECT COUNT(*) FROM schools WHERE slug = @slug", new { slug }) > 0)
            throw new InvalidOperationException($"a school with slug '{slug}' already exists");
        var id = c.ExecuteScalar<long>(
            """
            INSERT INTO schools (slug, name, from_address, from_name, reply_to, default_region, created_at, tracking)
            VALUES (@slug, @name, @fromAddress, @fromName, @replyTo, @region, @now, @tracking) RETURNING id
            """, new { slug, name, fromAddress, fromName, replyTo, region, now = DbTime.Ms(time.GetUtcNow()), tracking = tracking ? 1 : 0 });
        return new School(id, slug, name, fromAddress, fromName, replyTo, region, tracking);
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

using System.Data.Common;
using Dapper;
using Herald.Core.Deliveries;
using Herald.Core.Digests;
using Herald.Deliveries;
using Herald.Http;
using Herald.Schools;
using Herald.Storage;

namespace Herald.Contacts;

/// <summary>A contact as the API returns it.</summary>
/// <param name="Digest"><c>no</c>, <c>yes</c> (the school's default schedule) or the contact's own schedule.</param>
public sealed record ContactView(long Id, string ExternalId, string Role, string Name, string? Email, string? Mobile,
    IReadOnlyList<string> Groups, IReadOnlyList<string> OptOuts, string Digest, DateTimeOffset UpdatedAt);


/// <summary>Contacts of one school. Every query carries the school id: no school sees another's contacts. Their opt-outs
/// are written by the ledger (<see cref="DeliveryLedger.ReplaceOptOuts"/>), so each change is an event in the full log.</summary>
public sealed class ContactStore(Database db, TimeProvider time, DeliveryLedger ledger)
{
    private sealed class Row
    {
        public long id { get; set; }
        public string external_id { get; set; } = "";
        public string role { get; set; } = "";
        public string name { get; set; } = "";
        public string? email { get; set; }
        public string? mobile { get; set; }
        public long digest { get; set; }
        public string? digest_schedule { get; set; }
        public long updated_at { get; set; }
    }

    /// <summary>Inserts or updates by external id inside the caller's transaction; returns the contact's id.
    /// <paramref name="keyId"/>: the API key that writes it (null from the CLI), kept as who created it (on insert) and
    /// who last changed it. <paramref name="source"/>: <c>api</c> or <c>import</c>, for the opt-out changes in the log.</summary>
    public long Upsert(DbConnection c, DbTransaction tx, long schoolId, ValidContact v, long? keyId = null, EventSource source = EventSource.Api)
    {
        var now = DbTime.Ms(time.GetUtcNow());
        var before = c.QuerySingleOrDefault<(long Id, long Digest, string? Schedule)?>(
            $"SELECT id, digest, digest_schedule FROM contacts WHERE school_id = @schoolId AND external_id = @externalId{db.ForUpdate}",
            new { schoolId, externalId = v.ExternalId }, tx);
        var id = c.ExecuteScalar<long>(
            """
            INSERT INTO contacts (school_id, external_id, role, name, email, mobile, digest, digest_schedule, created_at, updated_at, created_key_id, updated_key_id)
            VALUES (@schoolId, @ExternalId, @Role, @Name, @Email, @Mobile, @digest, @schedule, @now, @now, @keyId, @keyId)
            ON CONFLICT (school_id, external_id) DO UPDATE SET role = excluded.role, name = excluded.name, email = excluded.email,
                mobile = excluded.mobile, digest = excluded.digest, digest_schedule = excluded.digest_schedule, updated_at = excluded.updated_at,
                updated_key_id = excluded.updated_key_id
            RETURNING id
            """, new { schoolId, v.ExternalId, v.Role, v.Name, v.Email, v.Mobile, digest = v.Digest.Wanted ? 1 : 0, schedule = v.Digest.Own?.ToString(), now, keyId }, tx);
        if (before is { } b && DigestDue.Choice(b.Digest, b.Schedule).ToString() != v.Digest.ToString())
            DigestChanged(c, tx, schoolId, id, DigestDue.Choice(b.Digest, b.Schedule), v.Digest, source,
                source == EventSource.Import ? "by a contact import" : "through the contacts API", keyId);
        c.Execute("DELETE FROM contact_groups WHERE contact_id = @id", new { id }, tx);
        foreach (var g in v.Groups)
            c.Execute("INSERT INTO contact_groups (contact_id, school_id, group_name) VALUES (@id, @schoolId, @g)", new { id, schoolId, g }, tx);
        ledger.ReplaceOptOuts(c, tx, schoolId, id, v.OptOuts.ToHashSet(), source, keyId);
        return id;
    }

    /// <summary>A recipient's own digest choice (the preference page), in its own transaction; false when nothing changed
    /// or the contact is gone.</summary>
    public bool SetDigest(long schoolId, long contactId, DigestChoice choice, EventSource source, string how)
    {
        using var c = db.Open();
        using var tx = c.BeginTransaction();
        var before = c.QuerySingleOrDefault<(long Digest, string? Schedule)?>(
            $"SELECT digest, digest_schedule FROM contacts WHERE school_id = @schoolId AND id = @contactId{db.ForUpdate}", new { schoolId, contactId }, tx);
        if (before is not { } b || DigestDue.Choice(b.Digest, b.Schedule).ToString() == choice.ToString()) return false;
        c.Execute("UPDATE contacts SET digest = @digest, digest_schedule = @schedule, updated_at = @now WHERE id = @contactId",
            new { contactId, digest = choice.Wanted ? 1 : 0, schedule = choice.Own?.ToString(), now = DbTime.Ms(time.GetUtcNow()) }, tx);
        DigestChanged(c, tx, schoolId, contactId, DigestDue.Choice(b.Digest, b.Schedule), choice, source, how, null);
        tx.Commit();
        return true;
    }

    /// <summary>The log's event and the held deliveries following the new choice (the ledger's).</summary>
    private void DigestChanged(DbConnection c, DbTransaction tx, long schoolId, long contactId, DigestChoice from, DigestChoice to, EventSource source,
        string how, long? keyId)
    {
        var school = SchoolStore.GetWith(c, tx, schoolId)!;
        ledger.ChangeDigest(c, tx, schoolId, contactId, from.ToString(), to.ToString(), school.DigestDue(to, time.GetUtcNow()), source, how, keyId);
    }

    public bool ExternalIdTaken(long schoolId, string externalId, long? exceptId = null)
    {
        using var c = db.Open();
        return c.ExecuteScalar<long>("SELECT COUNT(*) FROM contacts WHERE school_id = @schoolId AND external_id = @externalId AND id <> @except",
            new { schoolId, externalId, except = exceptId ?? -1 }) > 0;
    }

    /// <summary>
    /// A staff member's fix of one address (the contact page): the contact's email or mobile becomes
    /// <paramref name="value"/> (checked by <see cref="ContactRules.Address"/>), and the ledger logs the change with who
    /// and why in the same transaction. Null when the contact is not the school's.
    /// </summary>
    public ContactView? FixAddress(long schoolId, long contactId, Channel channel, string value, string by, string why)
    {
        var column = channel == Channel.Email ? "email" : "mobile";
        using var c = db.Open();
        using var tx = c.BeginTransaction();
        var before = c.QuerySingleOrDefault<Row>("SELECT * FROM contacts WHERE school_id = @schoolId AND id = @contactId", new { schoolId, contactId }, tx);
        if (before is null) return null;
        c.Execute($"UPDATE contacts SET {column} = @value, updated_at = @now, updated_key_id = NULL WHERE id = @contactId",
            new { value, now = DbTime.Ms(time.GetUtcNow()), contactId }, tx);
        var old = (channel == Channel.Email ? before.email : before.mobile) ?? "(none)";
        ledger.RecordProfileChange(c, tx, schoolId, contactId, channel, $"{column} changed from {old} to {value}", by, why);
        tx.Commit();
        return Get(schoolId, contactId);
    }

    public ContactView Save(long schoolId, ValidContact v, long? keyId = null)
    {
        using var c = db.Open();
        using var tx = c.BeginTransaction();
        var id = Upsert(c, tx, schoolId, v, keyId);
        tx.Commit();
        return Get(schoolId, id)!;
    }

    /// <summary>The names of these contacts (for the To: line of their messages).</summary>
    public Dictionary<long, string?> Names(IReadOnlyCollection<long> ids)
    {
        if (ids.Count == 0) return [];
        using var c = db.Open();
        return c.Query<(long Id, string? Name)>($"SELECT id, name FROM contacts WHERE id {Database.InList(c, "ids")}", new { ids = ids.ToArray() })
            .ToDictionary(x => x.Id, x => x.Name);
    }

    public ContactView? Get(long schoolId, long id)
    {
        using var c = db.Open();
        var row = c.QuerySingleOrDefault<Row>("SELECT * FROM contacts WHERE school_id = @schoolId AND id = @id", new { schoolId, id });
        return row is null ? null : View(c, [row]).Single();
    }

    /// <summary>The first of <paramref name="ids"/> that is not a contact of the school, or null when all are. Asked in
    /// chunks: one query per id made a 10,000-contact audience 10,000 round trips, and one list of 10,000 would pass
    /// SQLite one variable per id.</summary>
    public long? FirstMissing(long schoolId, IReadOnlyList<long> ids)
    {
        using var c = db.Open();
        var found = new HashSet<long>();
        foreach (var chunk in ids.Distinct().Chunk(500))
            found.UnionWith(c.Query<long>($"SELECT id FROM contacts WHERE school_id = @schoolId AND id {Database.InList(c, "chunk")}", new { schoolId, chunk }));
        foreach (var id in ids)
            if (!found.Contains(id)) return id;
        return null;
    }

    /// <summary>The school's contacts with these external ids (as stored, exact), by external id; the others are absent.</summary>
    public Dictionary<string, long> IdsByExternalId(long schoolId, IReadOnlyList<string> externalIds)
    {
        using var c = db.Open();
        var found = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var chunk in externalIds.Distinct().Chunk(500))
            foreach (var (id, ext) in c.Query<(long, string)>($"SELECT id, external_id FROM contacts WHERE school_id = @schoolId AND external_id {Database.InList(c, "chunk")}",
                         new { schoolId, chunk }))
                found[ext] = id;
        return found;
    }

    public PagedList<ContactView> List(long schoolId, int page, int pageSize, string? group)
    {
        using var c = db.Open();
        var filter = group is null ? "" : " AND id IN (SELECT contact_id FROM contact_groups WHERE school_id = @schoolId AND group_name = @group)";
        var total = c.ExecuteScalar<long>("SELECT COUNT(*) FROM contacts WHERE school_id = @schoolId" + filter, new { schoolId, group });
        var rows = c.Query<Row>("SELECT * FROM contacts WHERE school_id = @schoolId" + filter + " ORDER BY id LIMIT @pageSize OFFSET @offset",
            new { schoolId, group, pageSize, offset = (long)(page - 1) * pageSize }).ToList();
        return new(page, pageSize, total, View(c, rows));
    }

    public bool Delete(long schoolId, long id)
    {
        using var c = db.Open();
        using var tx = c.BeginTransaction();
        c.Execute("DELETE FROM contact_groups WHERE contact_id IN (SELECT id FROM contacts WHERE school_id = @schoolId AND id = @id)", new { schoolId, id }, tx);
        DeliveryLedger.ForgetOptOuts(c, tx, schoolId, id);
        var n = c.Execute("DELETE FROM contacts WHERE school_id = @schoolId AND id = @id", new { schoolId, id }, tx);
        tx.Commit();
        return n > 0;
    }

    private static List<ContactView> View(DbConnection c, List<Row> rows)
    {
        if (rows.Count == 0) return [];
        var ids = rows.Select(r => r.id).ToArray();
        var groups = c.Query<(long Id, string G)>($"SELECT contact_id, group_name FROM contact_groups WHERE contact_id {Database.InList(c, "ids")} ORDER BY group_name", new { ids })
            .ToLookup(x => x.Id, x => x.G);
        var opts = c.Query<(long Id, string Cat, string? Ch)>($"SELECT contact_id, category, channel FROM contact_opt_outs WHERE contact_id {Database.InList(c, "ids")} ORDER BY category", new { ids })
            .ToLookup(x => x.Id, x => x.Ch is null ? x.Cat : $"{x.Ch}:{x.Cat}");
        return rows.Select(r => new ContactView(r.id, r.external_id, r.role, r.name, r.email, r.mobile,
            groups[r.id].ToList(), opts[r.id].ToList(), DigestDue.Choice(r.digest, r.digest_schedule).ToString(), DbTime.At(r.updated_at))).ToList();
    }
}

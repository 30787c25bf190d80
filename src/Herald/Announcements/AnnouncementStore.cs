using Dapper;
using Herald.Core.Deliveries;
using Herald.Storage;

namespace Herald.Announcements;

/// <summary>Announcements of one school.</summary>
public sealed class AnnouncementStore(Database db, TimeProvider time)
{
    private sealed class Row
    {
        public long id { get; set; }
        public long school_id { get; set; }
        public string subject { get; set; } = "";
        public string? text_body { get; set; }
        public string? html_body { get; set; }
        public string? sms_text { get; set; }
        public string channels { get; set; } = "";
        public string category { get; set; } = "";
        public long essential { get; set; }
        public string audience { get; set; } = "";
        public string sender { get; set; } = "";
        public string state { get; set; } = "";
        public long created_at { get; set; }
        public long? sent_at { get; set; }
        public long track { get; set; } = 1;
    }

    /// <param name="keyId">The API key that creates it (null from the CLI), kept as <c>created_key_id</c>.</param>
    public Announcement Create(long schoolId, AnnouncementInput a, long? keyId = null)
    {
        using var c = db.Open();
        var channels = a.Channels!.Select(Wire.ParseChannel).Distinct().OrderBy(x => x).ToList();
        var id = c.ExecuteScalar<long>(
            """
            INSERT INTO announcements (school_id, subject, text_body, html_body, sms_text, channels, category, essential, audience, sender, state,
                created_at, created_key_id, track)
            VALUES (@schoolId, @subject, @text, @html, @sms, @channels, @category, @essential, @audience, @sender, 'draft', @now, @keyId, @track) RETURNING id
            """,
            new
            {
                schoolId, subject = a.Subject!.Trim(), text = a.Text, html = a.Html, sms = a.SmsText,
                channels = string.Join(",", channels.Select(x => x.Name())), category = a.Category!.Trim().ToLowerInvariant(),
                essential = a.Essential == true ? 1 : 0, audience = AnnouncementRules.AudienceJson(a.Audience!),
                sender = a.Sender ?? "school", now = DbTime.Ms(time.GetUtcNow()), keyId,
                track = a.Track == false ? 0 : 1,
            });
        return Get(schoolId, id)!;
    }

    public Announcement? Get(long schoolId, long id)
    {
        using var c = db.Open();
        var r = c.QuerySingleOrDefault<Row>("SELECT * FROM announcements WHERE school_id = @schoolId AND id = @id", new { schoolId, id });
        return r is null ? null : ToAnnouncement(r);
    }

    /// <summary>Any school's announcement, for the dispatcher.</summary>
    public Announcement? GetAny(long id)
    {
        using var c = db.Open();
        var r = c.QuerySingleOrDefault<Row>("SELECT * FROM announcements WHERE id = @id", new { id });
        return r is null ? null : ToAnnouncement(r);
    }

    internal Announcement GetAnyWith(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction tx, long id) =>
        ToAnnouncement(c.QuerySingle<Row>("SELECT * FROM announcements WHERE id = @id", new { id }, tx));

    public IReadOnlyList<Announcement> List(long schoolId, int page, int pageSize)
    {
        using var c = db.Open();
        return c.Query<Row>("SELECT * FROM announcements WHERE school_id = @schoolId ORDER BY id DESC LIMIT @pageSize OFFSET @offset",
            new { schoolId, pageSize, offset = (long)(page - 1) * pageSize }).Select(ToAnnouncement).ToList();
    }

    private static Announcement ToAnnouncement(Row r) => new(r.id, r.school_id, r.subject, r.text_body, r.html_body, r.sms_text,
        r.channels.Split(',').Select(Wire.ParseChannel).ToList(), r.category, r.essential == 1, AnnouncementRules.ParseAudience(r.audience),
        r.sender, r.state, DbTime.At(r.created_at), DbTime.At(r.sent_at), r.track != 0);
}

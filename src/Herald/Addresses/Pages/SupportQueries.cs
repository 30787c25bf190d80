using Dapper;
using Herald.Core.Deliveries;
using Herald.Dispatch;
using Herald.Storage;

namespace Herald.Addresses.Pages;

/// <summary>One school's view of an address: its state (failed, suppressed, or usable when nothing marks it), the
/// contacts holding it there, and its history (who marked or reset it, why, when), newest first.</summary>
public sealed record SchoolAddress(long SchoolId, string SchoolName, string State, string? Reason, DateTimeOffset? Since,
    IReadOnlyList<(long Id, string Name)> Contacts, IReadOnlyList<AddressChange> History);

public sealed record AddressChange(string Change, string? By, string? Why, DateTimeOffset At);

/// <summary>A delivery as the queue monitor lists it. <see cref="Reason"/> and <see cref="Detail"/> are untrusted text.</summary>
public sealed record QueueLine(long Id, long SchoolId, string SchoolName, long AnnouncementId, string Subject, string Channel, string? Address,
    DateTimeOffset At, DateTimeOffset? NextTryAt, string? Reason, string? Detail);

public sealed record QueueMonitor(IReadOnlyList<(string Status, long Count)> Counts, DateTimeOffset? OldestQueued, TimeSpan AlertAfter,
    long QueuedTooLongCount, IReadOnlyList<QueueLine> QueuedTooLong, long SoftBounces, IReadOnlyList<QueueLine> NextTries,
    IReadOnlyList<QueueLine> Rejected);

/// <summary>The console's reads: an address across every school, and the delivery queue. Writes go through
/// <see cref="AddressReset"/> only.</summary>
public sealed class SupportQueries(Database db, TimeProvider time, DispatchOptions options)
{
    public const int Earliest = 10;
    public const int Latest = 50;

    private sealed class Row
    {
        public long school_id { get; set; }
        public string name { get; set; } = "";
        public long id { get; set; }
        public string change { get; set; } = "";
        public string? by_whom { get; set; }
        public string? why { get; set; }
        public long at { get; set; }
    }

    public IReadOnlyList<SchoolAddress> Find(string address, Channel channel, IReadOnlyList<(long SchoolId, string State, string? Reason, DateTimeOffset Since)> states)
    {
        using var c = db.Open();
        var ch = channel.Name();
        var column = channel == Channel.Email ? "email" : "mobile";
        var contacts = c.Query<Row>($"""
            SELECT c.school_id, c.id, c.name FROM contacts c WHERE LOWER(c.{column}) = LOWER(@address)
            UNION SELECT c.school_id, c.id, c.name FROM contacts c JOIN deliveries d ON d.contact_id = c.id WHERE d.channel = @ch AND d.address = @address
            """, new { address, ch }).ToList();
        var history = c.Query<Row>("SELECT school_id, change, by_whom, why, at FROM address_history WHERE address = @address AND channel = @ch ORDER BY at DESC, id DESC",
            new { address, ch }).ToList();
        var schools = states.Select(s => s.SchoolId).Concat(contacts.Select(x => x.school_id)).Concat(history.Select(x => x.school_id)).Distinct().ToList();
        var names = schools.Count == 0 ? new Dictionary<long, string>()
            : c.Query<Row>("SELECT id AS school_id, name FROM schools").ToDictionary(x => x.school_id, x => x.name);
        return schools.Select(s =>
        {
            var st = states.FirstOrDefault(x => x.SchoolId == s);
            return new SchoolAddress(s, names.GetValueOrDefault(s, $"#{s}"), st.State ?? "usable", st.Reason, st.State is null ? null : st.Since,
                contacts.Where(x => x.school_id == s).Select(x => (x.id, x.name)).DistinctBy(x => x.id).OrderBy(x => x.id).ToList(),
                history.Where(x => x.school_id == s).Select(x => new AddressChange(x.change, x.by_whom, x.why, DbTime.At(x.at))).ToList());
        }).OrderBy(x => x.SchoolName, StringComparer.OrdinalIgnoreCase).ToList();
    }

    private sealed class CountRow
    {
        public string status { get; set; } = "";
        public long n { get; set; }
    }

    private sealed class LineRow
    {
        public long id { get; set; }
        public long school_id { get; set; }
        public string school_name { get; set; } = "";
        public long announcement_id { get; set; }
        public string subject { get; set; } = "";
        public string channel { get; set; } = "";
        public string? address { get; set; }
        public long status_at { get; set; }
        public long? next_try_at { get; set; }
        public string? reason { get; set; }
        public string? detail { get; set; }
    }

    private const string Line = """
        SELECT d.id, d.school_id, s.name AS school_name, d.announcement_id, a.subject, d.channel, d.address, d.status_at, d.next_try_at, d.reason,
               (SELECT e.detail FROM events e WHERE e.delivery_id = d.id AND e.status = d.status ORDER BY e.id DESC LIMIT 1) AS detail
        FROM deliveries d JOIN schools s ON s.id = d.school_id JOIN announcements a ON a.id = d.announcement_id
        """;

    /// <summary>The queue across every school, or one school's when <paramref name="schoolId"/> is given.</summary>
    public QueueMonitor Queue(long? schoolId)
    {
        using var c = db.Open();
        var cutoff = DbTime.Ms(time.GetUtcNow() - options.QueuedAlertAfter);
        var p = new { schoolId, cutoff, earliest = Earliest, latest = Latest };
        var mine = schoolId is null ? "1 = 1" : "d.school_id = @schoolId";
        var counts = c.Query<CountRow>($"SELECT d.status, COUNT(*) AS n FROM deliveries d WHERE {mine} GROUP BY d.status ORDER BY d.status", p)
            .Select(x => (x.status, x.n)).ToList();
        var oldest = c.QuerySingle<long?>($"SELECT MIN(d.status_at) FROM deliveries d WHERE d.status = 'queued' AND {mine}", p);
        var tooLong = c.QuerySingle<long>($"SELECT COUNT(*) FROM deliveries d WHERE d.status = 'queued' AND d.status_at < @cutoff AND {mine}", p);
        var tooLongLines = c.Query<LineRow>($"{Line} WHERE d.status = 'queued' AND d.status_at < @cutoff AND {mine} ORDER BY d.status_at, d.id LIMIT @earliest", p);
        var soft = c.QuerySingle<long>($"SELECT COUNT(*) FROM deliveries d WHERE d.status = 'soft_bounce' AND {mine}", p);
        var next = c.Query<LineRow>($"{Line} WHERE d.status = 'soft_bounce' AND {mine} ORDER BY d.next_try_at, d.id LIMIT @earliest", p);
        var rejected = c.Query<LineRow>($"{Line} WHERE d.status = 'rejected' AND {mine} ORDER BY d.status_at DESC, d.id DESC LIMIT @latest", p);
        return new QueueMonitor(counts, DbTime.At(oldest), options.QueuedAlertAfter, tooLong, tooLongLines.Select(ToLine).ToList(), soft,
            next.Select(ToLine).ToList(), rejected.Select(ToLine).ToList());
    }

    private static QueueLine ToLine(LineRow r) => new(r.id, r.school_id, r.school_name, r.announcement_id, r.subject, r.channel, r.address,
        DbTime.At(r.status_at), DbTime.At(r.next_try_at), r.reason, r.detail);
}

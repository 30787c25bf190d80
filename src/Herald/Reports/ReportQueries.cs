using Dapper;
using Herald.Core.Deliveries;
using Herald.Core.Reports;
using Herald.Dispatch;
using Herald.Http;
using Herald.Storage;
using Microsoft.Extensions.Options;

namespace Herald.Reports;

/// <summary>One recipient's line in an announcement's report.</summary>
/// <param name="Tracking">Opens and clicks of the current attempt (email only; null when nothing was seen).</param>
public sealed record RecipientLine(long DeliveryId, long ContactId, string? ContactName, string Channel, string? Address,
    string Status, DateTimeOffset At, string? Reason, string Explanation, string? Action, bool QueuedTooLong, int Attempt,
    DateTimeOffset? ResentAt, string? ResentBy, bool Fallback = false, long? FallbackFor = null, long? FallbackDelivery = null,
    RecipientTracking? Tracking = null);
// Fallback: this delivery reached (or tries to reach) the recipient by fallback, replacing delivery FallbackFor on the
// other channel; FallbackDelivery, on the replaced delivery's line: the fallback that replaced it (delivery-model.md).

/// <summary>What the open pixel and tracked links of a delivery's current attempt saw.</summary>
/// <param name="Opens">Opens by a person (pixel fetches the machine-open heuristics did not flag).</param>
/// <param name="MachineOpens">Opens flagged as likely automated (image proxies that prefetch, security scanners).</param>
/// <param name="Clicks">Clicks by a person, on any of its links.</param>
/// <param name="MachineClicks">Clicks flagged as likely automated.</param>
/// <param name="FirstOpenedAt">A person's first open (or first click, which implies one).</param>
/// <param name="LastOpenedAt">A person's last open or click.</param>
/// <param name="LikelyAutomatedOnly">True when only machines opened or clicked it: counted as "opened (likely automated)".</param>
public sealed record RecipientTracking(long Opens, long MachineOpens, long Clicks, long MachineClicks, DateTimeOffset? FirstOpenedAt,
    DateTimeOffset? LastOpenedAt, bool LikelyAutomatedOnly);

/// <summary>Opens and clicks across an announcement's email deliveries (current attempts).</summary>
/// <param name="OpenedLikelyAutomated">Deliveries that only machines opened or clicked: not in the <c>opened</c> count,
/// whose status stays <c>sent</c> or <c>delivered</c>.</param>
public sealed record ReportTracking(long OpenedLikelyAutomated);

/// <summary>The statistics report of one announcement.</summary>
/// <param name="Tracking">Opens and clicks: the "opened (likely automated)" count, apart from the <c>opened</c> status.</param>
public sealed record AnnouncementReport(long AnnouncementId, string Subject, string State, DateTimeOffset? SentAt,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>> Counts, long QueuedTooLong, PagedList<RecipientLine> Recipients,
    ReportTracking? Tracking = null);

/// <summary>One announcement in a school's list.</summary>
/// <param name="Counts">Deliveries per status, both channels together; statuses with none are left out.</param>
/// <param name="QueuedTooLong">Deliveries queued longer than the alert threshold (30 minutes by default).</param>
public sealed record AnnouncementSummary(long Id, string Subject, string State, DateTimeOffset CreatedAt, DateTimeOffset? SentAt,
    IReadOnlyDictionary<string, long> Counts, long QueuedTooLong);

/// <summary>One entry of a contact's full log.</summary>
/// <param name="Detail">Raw detail: for feedback, the provider's or the remote server's own text. Untrusted: escape it
/// wherever it is shown as HTML.</param>
/// <param name="Actor">The API key (its name) that wrote the event, for events posted through the API and resets.</param>
/// <param name="MessageId">The Message-ID of the attempt, on the transport's answer to it.</param>
/// <param name="Key">The API key whose request caused the event (a posted event, a send's or resend's decision, a reset);
/// null for Herald's own events and for what the CLI did.</param>
public sealed record LogEntry(long Id, DateTimeOffset At, DateTimeOffset RecordedAt, long? AnnouncementId, long? DeliveryId, string? Channel,
    int? Attempt, string? Status, bool ChangedStatus, string Source, string? Detail, string? ProviderEventId, string? Actor = null,
    string? MessageId = null, LogKey? Key = null);

/// <summary>An API key as the log names it: its id (<c>herald keys list</c>) and its name now.</summary>
public sealed record LogKey(long Id, string? Name);

/// <summary>Reads behind the report, the full log and the stuck-queue alert.</summary>
public sealed class ReportQueries(Database db, TimeProvider time, DispatchOptions options)
{
    private long QueuedCutoff => DbTime.Ms(time.GetUtcNow() - options.QueuedAlertAfter);

    private sealed class LineRow
    {
        public long id { get; set; }
        public long contact_id { get; set; }
        public string? name { get; set; }
        public string channel { get; set; } = "";
        public string? address { get; set; }
        public string status { get; set; } = "";
        public long status_at { get; set; }
        public string? reason { get; set; }
        public long attempt { get; set; }
        public long? resent_at { get; set; }
        public string? resent_by { get; set; }
        public long? fallback_for { get; set; }
        public string? for_channel { get; set; }
        public string? for_status { get; set; }
        public long? fallback_id { get; set; }
        public string? fallback_channel { get; set; }
        public long? t_opens { get; set; }
        public long? t_machine_opens { get; set; }
        public long? t_clicks { get; set; }
        public long? t_machine_clicks { get; set; }
        public long? t_first_open_at { get; set; }
        public long? t_last_open_at { get; set; }
    }

    /// <summary>The report, or null when the announcement is not this school's.</summary>
    /// <param name="search">Part of the recipient's name or address (case-insensitive); null or empty: everyone.</param>
    public AnnouncementReport? Report(long schoolId, long announcementId, DeliveryStatus? status, Channel? channel, int page, int pageSize,
        string? search = null)
    {
        using var c = db.Open();
        using var tx = db.BeginSnapshot(c);
        var a = c.QuerySingleOrDefault<(string Subject, string State, long? SentAt)>(
            // 'sending' while a send's deliveries are still being opened (a crash part-way: sending it again finishes it).
            "SELECT subject, CASE WHEN fanout_done = 0 THEN 'sending' ELSE state END AS state, sent_at FROM announcements WHERE id = @announcementId AND school_id = @schoolId", new { announcementId, schoolId }, tx);
        if (a == default) return null;

        // Counters are kept with every status change, so this reads a handful of rows whatever the table's size.
        var stored = c.Query<(string Ch, string St, long N)>("SELECT channel, status, n FROM announcement_counts WHERE announcement_id = @announcementId",
            new { announcementId }, tx).ToDictionary(x => (x.Ch, x.St), x => x.N);
        var channels = stored.Keys.Select(k => k.Ch).Distinct().ToList();
        var counts = new Dictionary<string, IReadOnlyDictionary<string, long>>();
        foreach (var ch in new[] { Channel.Email, Channel.Sms }.Where(x => channels.Contains(x.Name())))
            counts[ch.Name()] = Wire.StatusesOf(ch).ToDictionary(s => s.Name(), s => stored.GetValueOrDefault((ch.Name(), s.Name())));

        var cutoff = QueuedCutoff;
        var stuck = c.ExecuteScalar<long>("SELECT COUNT(*) FROM deliveries WHERE announcement_id = @announcementId AND status = 'queued' AND status_at < @cutoff",
            new { announcementId, cutoff }, tx);

        var q = Pattern(search);
        var where = "d.announcement_id = @announcementId" + (status is null ? "" : " AND d.status = @st") + (channel is null ? "" : " AND d.channel = @ch")
            + (q is null ? "" : " AND (LOWER(c.name) LIKE @q ESCAPE '\\' OR LOWER(d.address) LIKE @q ESCAPE '\\')");
        var args = new { announcementId, st = status?.Name(), ch = channel?.Name(), q, pageSize, offset = (long)(page - 1) * pageSize };
        long total = q is not null
            ? c.ExecuteScalar<long>($"SELECT COUNT(*) FROM deliveries d LEFT JOIN contacts c ON c.id = d.contact_id WHERE {where}", args, tx)
            : status is null && channel is null
            ? stored.Values.Sum()
            : status is not null && channel is not null ? stored.GetValueOrDefault((channel.Value.Name(), status.Value.Name()))
            : stored.Where(kv => (status is null || kv.Key.St == status.Value.Name()) && (channel is null || kv.Key.Ch == channel.Value.Name())).Sum(kv => kv.Value);
        var rows = c.Query<LineRow>(
            $"""
            SELECT d.id, d.contact_id, c.name, d.channel, d.address, d.status, d.status_at, d.reason, d.attempt, d.resent_at, d.resent_by,
                d.fallback_for, o.channel AS for_channel, o.status AS for_status, f.id AS fallback_id, f.channel AS fallback_channel,
                t.opens AS t_opens, t.machine_opens AS t_machine_opens, t.clicks AS t_clicks, t.machine_clicks AS t_machine_clicks,
                t.first_open_at AS t_first_open_at, t.last_open_at AS t_last_open_at
            FROM deliveries d LEFT JOIN contacts c ON c.id = d.contact_id
                LEFT JOIN deliveries o ON o.id = d.fallback_for
                LEFT JOIN deliveries f ON f.fallback_for = d.id
                LEFT JOIN delivery_tracking t ON t.delivery_id = d.id AND t.attempt = d.attempt
            WHERE {where} ORDER BY d.id LIMIT @pageSize OFFSET @offset
            """, args, tx);
        var lines = rows.Select(r =>
        {
            var st = Wire.ParseStatus(r.status);
            var tooLong = st == DeliveryStatus.Queued && r.status_at < cutoff;
            var g = tooLong ? StaffGuidance.StuckInQueue : StaffGuidance.For(st);
            var explanation = g.Explanation
                + (r.fallback_for is not null ? $" Reached by fallback: sent by {Said(r.channel)} because the {Said(r.for_channel)} was {r.for_status}." : "")
                + (r.fallback_id is not null ? $" Sent by {Said(r.fallback_channel)} instead (fallback)." : "");
            return new RecipientLine(r.id, r.contact_id, r.name, r.channel, r.address, r.status, DbTime.At(r.status_at), r.reason,
                explanation, g.Action, tooLong, (int)r.attempt, DbTime.At(r.resent_at), r.resent_by, r.fallback_for is not null, r.fallback_for, r.fallback_id,
                r.t_opens is null ? null : new RecipientTracking(r.t_opens.Value, r.t_machine_opens ?? 0, r.t_clicks ?? 0, r.t_machine_clicks ?? 0,
                    DbTime.At(r.t_first_open_at), DbTime.At(r.t_last_open_at), r.t_opens == 0 && r.t_clicks == 0));

        }).ToList();
        // Only machines opened or clicked the current attempt: counted apart from the opened status (docs/preferences.md (opens and clicks)).
        var automated = c.ExecuteScalar<long>(
            """
            SELECT COUNT(*) FROM delivery_tracking t JOIN deliveries d ON d.id = t.delivery_id AND d.attempt = t.attempt
            WHERE t.announcement_id = @announcementId AND t.opens = 0 AND t.clicks = 0
            """, new { announcementId }, tx);
        return new(announcementId, a.Subject, a.State, DbTime.At(a.SentAt), counts, stuck, new(page, pageSize, total, lines), new(automated));
    }

    /// <summary>A LIKE pattern for "contains this text", lower-cased, with LIKE's own wildcards escaped; null for no search.</summary>
    private static string? Pattern(string? search) => string.IsNullOrWhiteSpace(search) ? null
        : "%" + search.Trim().ToLowerInvariant().Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal)
            .Replace("_", "\\_", StringComparison.Ordinal) + "%";

    private sealed class SummaryRow
    {
        public long id { get; set; }
        public string subject { get; set; } = "";
        public string state { get; set; } = "";
        public long created_at { get; set; }
        public long? sent_at { get; set; }
    }

    /// <summary>A school's announcements, newest first, each with its counts per status (both channels together) and how
    /// many deliveries are queued longer than the alert threshold: what the announcements page shows in one line.</summary>
    /// <param name="search">Part of the subject (case-insensitive); null or empty: all.</param>
    public PagedList<AnnouncementSummary> Announcements(long schoolId, string? search, int page, int pageSize)
    {
        using var c = db.Open();
        using var tx = db.BeginSnapshot(c);
        var q = Pattern(search);
        var where = "school_id = @schoolId" + (q is null ? "" : " AND LOWER(subject) LIKE @q ESCAPE '\\'");
        var args = new { schoolId, q, pageSize, offset = (long)(page - 1) * pageSize };
        var total = c.ExecuteScalar<long>($"SELECT COUNT(*) FROM announcements WHERE {where}", args, tx);
        var rows = c.Query<SummaryRow>(
            $"""
            SELECT id, subject, CASE WHEN fanout_done = 0 THEN 'sending' ELSE state END AS state, created_at, sent_at
            FROM announcements WHERE {where} ORDER BY id DESC LIMIT @pageSize OFFSET @offset
            """, args, tx).ToList();
        var ids = rows.Select(r => r.id).ToArray();
        List<(long A, string St, long N)> counts = ids.Length == 0 ? [] : c.Query<(long A, string St, long N)>(
            $"SELECT announcement_id, status, CAST(SUM(n) AS BIGINT) FROM announcement_counts WHERE announcement_id {Database.InList(c, "ids")} GROUP BY announcement_id, status",
            new { ids }, tx).ToList();
        Dictionary<long, long> stuck = ids.Length == 0 ? [] : c.Query<(long A, long N)>(
            $"SELECT announcement_id, COUNT(*) FROM deliveries WHERE announcement_id {Database.InList(c, "ids")} AND status = 'queued' AND status_at < @cutoff GROUP BY announcement_id",
            new { ids, cutoff = QueuedCutoff }, tx).ToDictionary(x => x.A, x => x.N);
        return new(page, pageSize, total, rows.Select(r => new AnnouncementSummary(r.id, r.subject, r.state, DbTime.At(r.created_at),
            DbTime.At(r.sent_at), counts.Where(x => x.A == r.id && x.N > 0).ToDictionary(x => x.St, x => x.N), stuck.GetValueOrDefault(r.id))).ToList());
    }

    /// <summary>The school an announcement belongs to, or null: for support, who sees every school.</summary>
    public long? SchoolOf(long announcementId)
    {
        using var c = db.Open();
        return c.QuerySingleOrDefault<long?>("SELECT school_id FROM announcements WHERE id = @announcementId", new { announcementId });
    }

    private static string Said(string? channel) => channel == "sms" ? "SMS" : "email";

    private sealed class EventRow
    {
        public long id { get; set; }
        public long occurred_at { get; set; }
        public long recorded_at { get; set; }
        public long? announcement_id { get; set; }
        public long? delivery_id { get; set; }
        public string? channel { get; set; }
        public long? attempt { get; set; }
        public string? status { get; set; }
        public long changed { get; set; }
        public string source { get; set; } = "";
        public string? detail { get; set; }
        public string? provider_event_id { get; set; }
        public string? actor { get; set; }
        public string? message_id { get; set; }
        public long? key_id { get; set; }
        public string? key_name { get; set; }
    }

    /// <summary>Every event of a contact across announcements and channels, oldest first; null when not this school's contact.</summary>
    public PagedList<LogEntry>? Log(long schoolId, long contactId, int page, int pageSize)
    {
        using var c = db.Open();
        var known = c.ExecuteScalar<long>("SELECT COUNT(*) FROM contacts WHERE id = @contactId AND school_id = @schoolId", new { contactId, schoolId }) > 0
            || c.ExecuteScalar<long>("SELECT COUNT(*) FROM events WHERE contact_id = @contactId AND school_id = @schoolId", new { contactId, schoolId }) > 0;
        if (!known) return null;
        var total = c.ExecuteScalar<long>("SELECT COUNT(*) FROM events WHERE contact_id = @contactId AND school_id = @schoolId", new { contactId, schoolId });
        var rows = c.Query<EventRow>(
            """
            SELECT e.*, k.name AS key_name FROM events e LEFT JOIN api_keys k ON k.id = e.key_id
            WHERE e.contact_id = @contactId AND e.school_id = @schoolId ORDER BY e.occurred_at, e.id LIMIT @pageSize OFFSET @offset
            """,
            new { contactId, schoolId, pageSize, offset = (long)(page - 1) * pageSize });
        return new(page, pageSize, total, rows.Select(r => new LogEntry(r.id, DbTime.At(r.occurred_at), DbTime.At(r.recorded_at), r.announcement_id,
            r.delivery_id, r.channel, (int?)r.attempt, r.status, r.changed == 1, r.source, r.detail, r.provider_event_id, r.actor, r.message_id,
            r.key_id is { } k ? new LogKey(k, r.key_name) : null)).ToList());
    }

    /// <summary>Deliveries queued longer than the alert threshold, across all schools, and the oldest one's time.</summary>
    public (long Count, DateTimeOffset? Oldest) QueuedTooLong()
    {
        using var c = db.Open();
        var r = c.QuerySingle<(long N, long? Oldest)>("SELECT COUNT(*), MIN(status_at) FROM deliveries WHERE status = 'queued' AND status_at < @cutoff",
            new { cutoff = QueuedCutoff });
        return (r.N, DbTime.At(r.Oldest));
    }

    /// <summary>The school and channel of a delivery, or null.</summary>
    public (long SchoolId, Channel Channel)? DeliveryOwner(long deliveryId)
    {
        using var c = db.Open();
        var r = c.QuerySingleOrDefault<(long, string)?>("SELECT school_id, channel FROM deliveries WHERE id = @deliveryId", new { deliveryId });
        return r is { } x ? (x.Item1, Wire.ParseChannel(x.Item2)) : null;
    }
}

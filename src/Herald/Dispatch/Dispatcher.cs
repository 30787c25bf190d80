using Dapper;
using Herald.Announcements;
using Herald.Core.Deliveries;
using Herald.Core.Retry;
using Herald.Events;
using Herald.Hosting;
using Herald.Observability;
using Herald.Schools;
using Herald.Storage;
using Microsoft.Extensions.Options;

namespace Herald.Dispatch;

/// <summary>
/// Moves due deliveries (queued, or soft-bounced with a retry due) through the transports. Work is claimed with a
/// lease in the database (FOR UPDATE SKIP LOCKED on PostgreSQL), so several Herald processes can share one queue
/// and a crash only delays a delivery until its claim expires. The retry schedule lives in the database too.
/// </summary>
public sealed partial class Dispatcher(
    Database db, TimeProvider time, EventRecorder recorder, IEmailTransport email, ISmsTransport sms,
    MessageBuilder builder, DispatchSignal signal, IOptions<HeraldOptions> options, ILogger<Dispatcher> log) : BackgroundService
{
    private readonly DispatchOptions _o = options.Value.Dispatch;
    private readonly RetryPolicy _retry = new(options.Value.Dispatch.RetryWindow);
    private readonly Lock _sqliteWrites = new();

    private sealed class Claimed
    {
        public long id { get; set; }
        public long school_id { get; set; }
        public long announcement_id { get; set; }
        public long contact_id { get; set; }
        public string channel { get; set; } = "";
        public string? address { get; set; }
        public long attempt { get; set; }
        public long tries { get; set; }
        public long first_try_at { get; set; }
    }

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        if (!_o.Enabled) return;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (await RunOnceAsync(stop) > 0) continue;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested) { break; }
            catch (Exception e) { LogRoundFailed(e); }
            try { await signal.WaitAsync(_o.PollInterval, stop); }
            catch (OperationCanceledException) { break; }
        }
    }

    /// <summary>
    /// Claims and sends one batch; returns how many deliveries it handled. Emails go to the transport as many at once as
    /// it accepts (<see cref="IEmailTransport.MaxInFlight"/>; SMTP bounds its own connections and domains); each one's
    /// result is recorded as soon as it is known, so a crash loses as few answers as possible.
    /// </summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var batch = Claim();
        // Half the lease: a message not started by then is given back rather than risk a second worker sending it too.
        var sendBy = time.GetUtcNow() + _o.ClaimTimeout / 2;
        var schools = new Dictionary<long, School?>();
        var announcements = new Dictionary<long, Announcement?>();
        using var inFlight = new SemaphoreSlim(Math.Min(email.MaxInFlight, Math.Max(1, batch.Count)));
        var running = new List<Task>();
        try
        {
            foreach (var d in batch)
            {
                ct.ThrowIfCancellationRequested();
                var school = schools.TryGetValue(d.school_id, out var s) ? s : schools[d.school_id] = new SchoolStore(db, time).Get(d.school_id);
                var a = announcements.TryGetValue(d.announcement_id, out var an) ? an : announcements[d.announcement_id] = new AnnouncementStore(db, time).GetAny(d.announcement_id);
                if (d.channel != "email" || email.MaxInFlight <= 1)
                {
                    await SendOneAsync(d, school!, a!, sendBy, ct);
                    continue;
                }
                await inFlight.WaitAsync(ct);
                // The database reads and the MIME build run here, one after the other; only the transport's wait overlaps.
                running.Add(SendOneAsync(d, school!, a!, sendBy, ct).ContinueWith(t => { inFlight.Release(); return t; }, TaskScheduler.Default).Unwrap());
            }
        }
        finally
        {
            // Every started send is awaited, even on cancellation: its result must be recorded.
            try { await Task.WhenAll(running); }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        }
        return batch.Count;
    }

    private List<Claimed> Claim()
    {
        var now = DbTime.Ms(time.GetUtcNow());
        using var c = db.Open();
        using var tx = c.BeginTransaction();
        var rows = c.Query<Claimed>(
            $"""
            UPDATE deliveries SET claimed_until = @until, tries = tries + 1, first_try_at = COALESCE(first_try_at, @now)
            WHERE id IN (SELECT id FROM deliveries WHERE status IN ('queued', 'soft_bounce') AND next_try_at <= @now
                         AND (claimed_until IS NULL OR claimed_until < @now) ORDER BY next_try_at, id LIMIT @n{db.ForUpdateSkipLocked})
            RETURNING id, school_id, announcement_id, contact_id, channel, address, attempt, tries, first_try_at
            """, new { now, until = now + (long)_o.ClaimTimeout.TotalMilliseconds, n = _o.BatchSize }, tx).ToList();
        tx.Commit();
        return rows.OrderBy(r => r.id).ToList();
    }

    private async Task SendOneAsync(Claimed d, School school, Announcement a, DateTimeOffset sendBy, CancellationToken ct)
    {
        var channel = Wire.ParseChannel(d.channel);
        var now = time.GetUtcNow();
        // The address may have failed since the send (a bounce for another announcement): re-check before sending.
        if (IsBlocked(d))
        {
            Record(d, DeliveryStatus.Dropped, EventSource.Decision, "address marked failed or suppressed since the send", null, now);
            return;
        }
        TransportResult result;
        try
        {
            if (channel == Channel.Email)
            {
                var name = ContactName(d.contact_id);
                var message = builder.Build(school, a, d.id, (int)d.attempt, d.address!, name);
                result = await email.SendAsync(new OutgoingEmail(d.id, (int)d.attempt, (int)d.tries, d.address!, message, sendBy), ct);
            }
            else
                result = await sms.SendAsync(new OutgoingSms(d.id, (int)d.attempt, (int)d.tries, d.address!, a.SmsText ?? a.Text ?? "", school.Name), ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A transport that could not even talk to its relay is a temporary failure: retried like a 4xx, and never
            // the address's fault.
            result = new TransportResult(DeliveryStatus.SoftBounce,
                $"transport error: {e.Message}", null, "4.4.1", "networkerror", BlamesAddress: false);
        }
        HeraldMetrics.TransportResults.WithLabels(d.channel, result.Status.Name()).Inc();
        now = time.GetUtcNow();

        if (result.Status == DeliveryStatus.SoftBounce)
        {
            var step = _retry.Next(new TemporaryFailure(result.ReplyCode, result.EnhancedStatus, result.Detail), (int)d.tries,
                DbTime.At(d.first_try_at), now, Random.Shared.NextDouble());
            if (step.At is null)
            {
                // SMS has no 'rejected': its retries running out is a failure, but not the number's fault.
                Record(d, channel == Channel.Email ? DeliveryStatus.Rejected : DeliveryStatus.Failed, EventSource.Transport,
                    $"{result.Detail} (retry window over: expired)", "expired", now, blamesAddress: false);
                return;
            }
            Record(d, DeliveryStatus.SoftBounce, EventSource.Transport,
                $"{result.Detail} (try {d.tries}; {step.Schedule}: next try {step.At:u})", result.Reason, now, step.At);
            return;
        }
        Record(d, result.Status, EventSource.Transport, result.Detail, result.Reason, now, blamesAddress: result.BlamesAddress);
        foreach (var f in result.FollowUps ?? [])
            Record(d, f.Status, f.Source, f.Detail, f.Reason, time.GetUtcNow());
    }

    private void Record(Claimed d, DeliveryStatus? status, EventSource source, string detail, string? reason, DateTimeOffset at,
        DateTimeOffset? next = null, bool blamesAddress = true)
    {
        var e = new DeliveryEvent(d.id, status, source, detail, null, at, reason, next, blamesAddress);
        // SQLite has one writer: parallel sends record one at a time, or a deferred transaction could fail to upgrade.
        if (db.Provider == DatabaseProvider.Sqlite)
            lock (_sqliteWrites) EventRecorder.Count(e, recorder.Record(e));
        else
            EventRecorder.Count(e, recorder.Record(e));
    }

    private bool IsBlocked(Claimed d)
    {
        using var c = db.Open();
        return c.ExecuteScalar<long>("SELECT COUNT(*) FROM address_states WHERE school_id = @s AND channel = @ch AND address = @a",
            new { s = d.school_id, ch = d.channel, a = d.address }) > 0;
    }

    private string? ContactName(long id)
    {
        using var c = db.Open();
        return c.ExecuteScalar<string?>("SELECT name FROM contacts WHERE id = @id", new { id });
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Dispatch round failed; retrying after the poll interval")]
    private partial void LogRoundFailed(Exception e);
}

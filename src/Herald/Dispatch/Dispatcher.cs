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
using System.Threading.Channels;
using Channel = Herald.Core.Deliveries.Channel;

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
    /// Claims and sends one batch; returns how many deliveries it handled. Emails and SMS go through one pipeline: each
    /// channel's transport gets as many at once as it accepts (<see cref="IEmailTransport.MaxInFlight"/>,
    /// <see cref="ISmsTransport.MaxInFlight"/>), each bounded by its own semaphore so a slow channel cannot take the
    /// other's slots. Results are recorded as they come, by one writer that commits whatever has arrived in one
    /// transaction: one commit per answer would make the database, not the relay, the limit.
    /// </summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var batch = Claim();
        if (batch.Count == 0) return 0;
        // Half the lease: a message not started by then is given back rather than risk a second worker sending it too.
        var sendBy = time.GetUtcNow() + _o.ClaimTimeout / 2;
        var facts = Facts(batch);
        var schools = new Dictionary<long, School?>();
        var announcements = new Dictionary<long, Announcement?>();
        // Both transports one at a time: send and record in turn, as before there was a pipeline (the sandbox).
        var parallel = email.MaxInFlight > 1 || sms.MaxInFlight > 1;
        var results = System.Threading.Channels.Channel.CreateUnbounded<List<DeliveryEvent>>(new UnboundedChannelOptions { SingleReader = true });
        var writer = parallel ? Task.Run(() => WriteAsync(results.Reader)) : Task.CompletedTask;
        using var emailSlots = new SemaphoreSlim(Math.Min(email.MaxInFlight, batch.Count));
        using var smsSlots = new SemaphoreSlim(Math.Min(sms.MaxInFlight, batch.Count));
        var running = new List<Task>();
        try
        {
            foreach (var d in batch)
            {
                ct.ThrowIfCancellationRequested();
                var school = schools.TryGetValue(d.school_id, out var s) ? s : schools[d.school_id] = new SchoolStore(db, time).Get(d.school_id);
                var a = announcements.TryGetValue(d.announcement_id, out var an) ? an : announcements[d.announcement_id] = new AnnouncementStore(db, time).GetAny(d.announcement_id);
                if (!parallel)
                {
                    RecordAll(await SendOneAsync(d, school!, a!, facts, sendBy, ct));
                    continue;
                }
                var slots = Wire.ParseChannel(d.channel) == Channel.Email ? emailSlots : smsSlots;
                await slots.WaitAsync(ct);
                running.Add(SendAndQueueAsync(d, school!, a!, facts, sendBy, results.Writer, slots, ct));
            }
        }
        finally
        {
            // Every started send is awaited and recorded, even on cancellation.
            try { await Task.WhenAll(running); }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
            finally
            {
                results.Writer.Complete();
                await writer;
            }
        }
        return batch.Count;
    }

    private async Task SendAndQueueAsync(Claimed d, School school, Announcement a, BatchFacts facts, DateTimeOffset sendBy,
        ChannelWriter<List<DeliveryEvent>> results, SemaphoreSlim slots, CancellationToken ct)
    {
        try { results.TryWrite(await SendOneAsync(d, school, a, facts, sendBy, ct)); }
        finally { slots.Release(); }
    }

    private async Task WriteAsync(ChannelReader<List<DeliveryEvent>> reader)
    {
        var group = new List<DeliveryEvent>();
        while (await reader.WaitToReadAsync())
        {
            while (group.Count < 200 && reader.TryRead(out var events)) group.AddRange(events);
            RecordAll(group);
            group.Clear();
        }
    }

    /// <summary>Records events in one transaction; if that fails, one by one, so one bad event cannot lose the others.</summary>
    private void RecordAll(List<DeliveryEvent> events)
    {
        if (events.Count == 0) return;
        try
        {
            using var c = db.Open();
            using var tx = c.BeginTransaction();
            // Lock the group's deliveries first, in id order, before any count row: recording one event locks its
            // delivery and then the announcement's count rows, so a webhook for a delivery later in the group would
            // otherwise hold that delivery while waiting for counts this transaction holds, a deadlock on PostgreSQL.
            if (events.Count > 1 && db.ForUpdate.Length > 0)
            {
                var ids = events.Select(e => e.DeliveryId).Distinct().Order().ToArray();
                c.Execute($"SELECT id FROM deliveries WHERE id {Database.InList(c, "ids")} ORDER BY id{db.ForUpdate}", new { ids }, tx);
            }
            var outcomes = events.Select(e => recorder.Record(c, tx, e)).ToList();
            tx.Commit();
            for (var i = 0; i < events.Count; i++) EventRecorder.Count(events[i], outcomes[i]);
        }
        catch (System.Data.Common.DbException) when (events.Count > 1)
        {
            foreach (var e in events) RecordAll([e]);
        }
    }

    /// <summary>What a batch needs from other tables, read once: the addresses failed or suppressed since the send
    /// (a bounce for another announcement: re-checked before sending) and the contacts' names.</summary>
    private sealed record BatchFacts(HashSet<(long School, string Channel, string Address)> Blocked, Dictionary<long, string?> Names);

    private BatchFacts Facts(List<Claimed> batch)
    {
        using var c = db.Open();
        var addresses = batch.Where(d => d.address is not null).Select(d => Core.Sending.AddressKey.Of(d.channel, d.address!)).Distinct().ToArray();
        var contacts = batch.Select(d => d.contact_id).Distinct().ToArray();
        var blocked = c.Query<(long, string, string)>(
            $"SELECT school_id, channel, address FROM address_states WHERE address {Database.InList(c, "addresses")}", new { addresses }).ToHashSet();
        var names = c.Query<(long Id, string? Name)>($"SELECT id, name FROM contacts WHERE id {Database.InList(c, "contacts")}", new { contacts })
            .ToDictionary(x => x.Id, x => x.Name);
        return new BatchFacts(blocked, names);
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

    /// <summary>Sends one delivery and returns the events its answer makes (the caller records them).</summary>
    private async Task<List<DeliveryEvent>> SendOneAsync(Claimed d, School school, Announcement a, BatchFacts facts, DateTimeOffset sendBy, CancellationToken ct)
    {
        var events = new List<DeliveryEvent>();
        void Record(Claimed d, DeliveryStatus? status, EventSource source, string detail, string? reason, DateTimeOffset at,
            DateTimeOffset? next = null, bool blamesAddress = true) =>
            events.Add(new DeliveryEvent(d.id, status, source, detail, null, at, reason, next, blamesAddress));

        var channel = Wire.ParseChannel(d.channel);
        var now = time.GetUtcNow();
        if (d.address is not null && facts.Blocked.Contains((d.school_id, d.channel, Core.Sending.AddressKey.Of(d.channel, d.address))))
        {
            Record(d, DeliveryStatus.Dropped, EventSource.Decision, "address marked failed or suppressed since the send", null, now);
            return events;
        }
        TransportResult result;
        try
        {
            if (channel == Channel.Email)
            {
                var name = facts.Names.GetValueOrDefault(d.contact_id);
                var message = builder.Build(school, a, d.id, (int)d.attempt, d.address!, name);
                result = await email.SendAsync(new OutgoingEmail(d.id, (int)d.attempt, (int)d.tries, d.address!, message, sendBy), ct);
            }
            else if (time.GetUtcNow() > sendBy)
                // Waited past half the lease for a slot (a slow gateway ahead of it): another worker may take it over
                // now, so give it back untried rather than risk sending it twice; as SMTP does for a connection.
                result = TransportResult.NotAttempted("a gateway slot");
            else
                result = await sms.SendAsync(new OutgoingSms(d.id, (int)d.attempt, (int)d.tries, d.address!, a.SmsText ?? a.Text ?? "", school.Name, sendBy), ct);
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
                return events;
            }
            Record(d, DeliveryStatus.SoftBounce, EventSource.Transport,
                $"{result.Detail} (try {d.tries}; {step.Schedule}: next try {step.At:u})", result.Reason, now, step.At);
            return events;
        }
        Record(d, result.Status, EventSource.Transport, result.Detail, result.Reason, now, blamesAddress: result.BlamesAddress);
        foreach (var f in result.FollowUps ?? [])
            Record(d, f.Status, f.Source, f.Detail, f.Reason, time.GetUtcNow());
        return events;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Dispatch round failed; retrying after the poll interval")]
    private partial void LogRoundFailed(Exception e);
}

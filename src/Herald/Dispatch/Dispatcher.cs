using System.Data.Common;
using System.Threading.Channels;
using Herald.Announcements;
using Herald.Contacts;
using Herald.Core.Deliveries;
using Herald.Core.Retry;
using Herald.Deliveries;
using Herald.Email;
using Herald.Observability;
using Herald.Schools;
using Herald.Sms;
using Channel = Herald.Core.Deliveries.Channel;

namespace Herald.Dispatch;

/// <summary>
/// Moves due deliveries through the transports, one claimed batch at a time: claim → load what the batch needs →
/// send → complete. The claim is a lease with a fencing token in the database (FOR UPDATE SKIP LOCKED on
/// PostgreSQL), so several Herald processes share one queue and a crash only delays a delivery until its lease lapses.
/// Answers are recorded as they come, in groups, and kept until the database takes them: the next batch is not
/// claimed before every answer of this one is recorded. On shutdown, nothing new starts, sends already on the wire
/// finish and are recorded, and the rest is given back untried.
/// </summary>
public sealed partial class Dispatcher(
    DeliveryLedger ledger, SchoolStore schools, AnnouncementStore announcements, ContactStore contacts,
    IEmailTransport email, ISmsTransport sms, MessageBuilder builder, DispatchSignal signal, TimeProvider time,
    DispatchOptions options, ILogger<Dispatcher> log) : BackgroundService
{
    private readonly DispatchOptions _o = options;
    private readonly RetryPolicy _retry = new(options.RetryWindow);

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

    /// <summary>Claims, sends and records one batch; returns how many deliveries it handled. <paramref name="stop"/>
    /// stops new sends from starting (they are given back untried); it never abandons one on the wire.</summary>
    public async Task<int> RunOnceAsync(CancellationToken stop)
    {
        if (stop.IsCancellationRequested) return 0;
        // Digests that fell due become queued first, so this round's claim can take them.
        if (ledger.AnyDigestDue()) ledger.PackDigests(_o.BatchSize);
        var claim = ledger.Claim(_o.BatchSize, _o.ClaimTimeout);
        if (claim.Deliveries.Count == 0) return 0;
        var context = LoadContext(claim);
        using var budget = new SendBudget(2 * email.Connections, 2 * sms.MaxInFlight);
        var writer = new CompletionWriter(ledger, log, budget.Release);
        await SendAllAsync(claim, context, budget, writer, stop);
        await writer.DrainAsync();
        return claim.Deliveries.Count;
    }

    // ------------------------------------------------------------------------------------------ load context

    /// <summary>What a batch needs from other tables, read once: schools, announcements, names, and the addresses
    /// failed or suppressed since the send.</summary>
    private sealed record BatchContext(Dictionary<long, School?> Schools, Dictionary<long, Announcement?> Announcements,
        Dictionary<long, string?> Names, HashSet<(long School, string Channel, string Address)> Blocked);

    private BatchContext LoadContext(ClaimBatch claim)
    {
        var ds = claim.Deliveries;
        return new BatchContext(
            ds.Select(d => d.SchoolId).Distinct().ToDictionary(id => id, schools.Get),
            ds.Select(d => d.AnnouncementId).Distinct().ToDictionary(id => id, announcements.GetAny),
            contacts.Names(ds.Where(d => d.Channel == Channel.Email).Select(d => d.ContactId).Distinct().ToList()),
            ledger.Blocked(ds.Where(d => d.Address is not null).Select(d => (d.Channel, d.Address!))));
    }

    // ------------------------------------------------------------------------------------------------- send

    /// <summary>Each channel's transport gets as many at once as it accepts (<see cref="IEmailTransport.MaxInFlight"/>,
    /// <see cref="ISmsTransport.MaxInFlight"/>; the sandbox takes one at a time), each bounded by its own slots so a slow
    /// channel cannot take the other's.</summary>
    private async Task SendAllAsync(ClaimBatch claim, BatchContext context, SendBudget budget, CompletionWriter writer, CancellationToken stop)
    {
        var n = claim.Deliveries.Count;
        using var emailSlots = new SemaphoreSlim(Math.Min(email.MaxInFlight, n));
        using var smsSlots = new SemaphoreSlim(Math.Min(sms.MaxInFlight, n));
        var running = new List<Task>();
        foreach (var unit in Messages(claim))
        {
            var slots = unit[0].Channel == Channel.Email ? emailSlots : smsSlots;
            try { await slots.WaitAsync(stop); }
            catch (OperationCanceledException)
            {
                foreach (var c in Spread(Outcome(claim, unit[0], TransportResult.NotAttempted("a slot before Herald shut down")), unit)) writer.Add(c);
                continue;
            }
            running.Add(SendAndReleaseAsync(claim, context, budget, unit, writer, slots, stop));
        }
        await Task.WhenAll(running);
    }

    /// <summary>The messages of a claim: one per delivery, except that the deliveries a digest carries are one message
    /// (its lead first). A settle deadline sends nothing, so it stays on its own.</summary>
    private static List<List<ClaimedDelivery>> Messages(ClaimBatch claim) =>
        claim.Deliveries.GroupBy(d => d.DigestId is { } digest && !d.Settles ? digest : -d.Id)
            .Select(g => g.OrderBy(d => d.Id).ToList()).ToList();

    /// <summary>The answer to a digest's message is the answer for each delivery it carries (the lead's next try is the
    /// digest's; the ledger gives the others none of their own), with the same feedback.</summary>
    private static IEnumerable<Completion> Spread(Completion answer, IReadOnlyList<ClaimedDelivery> unit)
    {
        if (unit.Count == 1 && unit[0].DigestId is null) return [answer];
        var detail = $"{answer.Detail} (digest {unit[0].DigestId}: {unit.Count} announcement(s) in one message)";
        return unit.Select(d => answer with
        {
            Delivery = d, Detail = detail,
            Feedback = answer.Feedback?.Select(f => f with { DeliveryId = d.Id }).ToList(),
        });
    }

    private async Task SendAndReleaseAsync(ClaimBatch claim, BatchContext context, SendBudget budget, List<ClaimedDelivery> unit, CompletionWriter writer,
        SemaphoreSlim slots, CancellationToken stop)
    {
        try
        {
            foreach (var c in Spread(await SendOneAsync(claim, context, budget, unit, stop), unit)) writer.Add(c);
        }
        finally { slots.Release(); }
    }

    private async Task<Completion> SendOneAsync(ClaimBatch claim, BatchContext context, SendBudget budget, List<ClaimedDelivery> unit, CancellationToken stop)
    {
        var d = unit[0];
        var now = time.GetUtcNow();
        if (d.Settles)
            return new Completion(d, claim.Token, DeliveryStatus.Sent, EventSource.Decision,
                "no failure reported by the deadline after the relay's delay notice: settled as sent", null, now);
        if (d.Address is not null && context.Blocked.Contains((d.SchoolId, d.Channel.Name(), Core.Sending.AddressKey.Of(d.Channel, d.Address))))
            return new Completion(d, claim.Token, DeliveryStatus.Dropped, EventSource.Decision, "address marked failed or suppressed since the send", null, now);
        var school = context.Schools[d.SchoolId]!;
        var a = context.Announcements[d.AnnouncementId]!;
        // The last moment to start: the lease keeps the time a started send can take in reserve.
        var sendBy = claim.ClaimedAt + _o.ClaimTimeout - (d.Channel == Channel.Email ? _o.EmailSendLimit : _o.SmsSendLimit);
        string? messageId = null;
        TransportResult result;
        try
        {
            if (d.Channel == Channel.Email)
            {
                if (Build(claim, unit, school, a, context) is not { } message)
                    return new Completion(d, claim.Token, DeliveryStatus.Rejected, EventSource.Decision,
                        "the message could not be built (Herald's error, logged; not the address's fault)", "systemerror", now, BlamesAddress: false);
                messageId = message.MessageId;
                result = await email.SendAsync(new OutgoingEmail(d.Id, d.Attempt, d.Tries, d.Address!, message, sendBy,
                    () => budget.AcquireAsync(d, stop)), stop);
            }
            else if (time.GetUtcNow() > sendBy)
                // Waited for a gateway slot (a slow gateway ahead of it) past the last moment to start: another worker may
                // take it over now, so it is given back untried rather than risk sending it twice.
                result = TransportResult.NotAttempted("a gateway slot");
            else if (!await budget.AcquireAsync(d, stop))
                result = TransportResult.NotAttempted("a gateway slot before Herald shut down");
            else
                result = await sms.SendAsync(new OutgoingSms(d.Id, d.Attempt, d.Tries, d.Address!, a.SmsText ?? a.Text ?? "", school.Name, sendBy), stop);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            result = TransportResult.NotAttempted("a connection before Herald shut down");
        }
        catch (Exception e)
        {
            // A transport that failed in a way it did not map itself: logged, retried like a 4xx, never the address's fault.
            LogTransportFailed(e, d.Id);
            result = new TransportResult(DeliveryStatus.SoftBounce, $"transport error: {e.Message}", null, "4.4.1", "networkerror", BlamesAddress: false);
        }
        HeraldMetrics.TransportResults.WithLabels(d.Channel.Name(), result.Status.Name()).Inc();
        // A message given back untried never left: its Message-ID must not tie any bounce to this attempt.
        return Outcome(claim, d, result, result.Untried ? null : messageId);
    }

    private MimeKit.MimeMessage? Build(ClaimBatch claim, List<ClaimedDelivery> unit, School school, Announcement a, BatchContext context)
    {
        var d = unit[0];
        try
        {
            return d.DigestId is null
                ? builder.Build(school, a, d.Id, d.Attempt, d.Address!, context.Names.GetValueOrDefault(d.ContactId))
                : builder.BuildDigest(school, unit.Select(x => new DigestItem(context.Announcements[x.AnnouncementId]!, x.Id, x.Attempt)).ToList(),
                    d.Address!, context.Names.GetValueOrDefault(d.ContactId));
        }
        catch (Exception e)
        {
            LogBuildFailed(e, d.Id, claim.Token);
            return null;
        }
    }

    // ------------------------------------------------------------------------------------------ outcome

    /// <summary>What the answer means for the delivery: a soft bounce gets its next try from the retry table, or
    /// expires when the window is over (on every path, an untried give-back included); anything else is final.</summary>
    private Completion Outcome(ClaimBatch claim, ClaimedDelivery d, TransportResult result, string? messageId = null)
    {
        var now = time.GetUtcNow();
        if (result.Status != DeliveryStatus.SoftBounce)
            return new Completion(d, claim.Token, result.Status, EventSource.Transport, result.Detail, result.Reason, now,
                BlamesAddress: result.BlamesAddress, MessageId: messageId,
                Feedback: result.FollowUps?.Select(f => new DeliveryEvent(d.Id, f.Status, f.Source, f.Detail, null, time.GetUtcNow(), f.Reason)).ToList());
        var step = result.Untried
            ? new RetryStep(now <= d.FirstTryAt + _retry.Window ? now : null, "given back")
            : _retry.Next(new TemporaryFailure(result.ReplyCode, result.EnhancedStatus, result.Detail), d.Tries, d.FirstTryAt, now, Random.Shared.NextDouble());
        if (step.At is null)
            // SMS has no 'rejected': its retries running out is a failure, but not the number's fault.
            return new Completion(d, claim.Token, d.Channel == Channel.Email ? DeliveryStatus.Rejected : DeliveryStatus.Failed,
                EventSource.Transport, $"{result.Detail} (retry window over: expired)", "expired", now, BlamesAddress: false, MessageId: messageId);
        var detail = result.Untried
            ? $"{result.Detail} (due again at once; the try is not counted)"
            : $"{result.Detail} (try {d.Tries}; {step.Schedule}: next try {step.At:u})";
        return new Completion(d, claim.Token, DeliveryStatus.SoftBounce, EventSource.Transport, detail, result.Reason, now, step.At,
            BlamesAddress: false, Untried: result.Untried, MessageId: messageId);
    }

    /// <summary>
    /// How many messages of a round may be sent (or on the wire) without their answer recorded yet: twice the channel's
    /// connections. A kill -9 sends exactly those again after the lease, so this is the bound on duplicates; without it,
    /// a fast relay lets a whole batch go out while the database is still recording the first answers. A message takes
    /// its permit just before it goes on the wire and gives it back when its answer is committed.
    /// </summary>
    private sealed class SendBudget(int email, int sms) : IDisposable
    {
        private readonly SemaphoreSlim _email = new(email), _sms = new(sms);
        private readonly System.Collections.Concurrent.ConcurrentDictionary<long, SemaphoreSlim> _held = new();

        /// <summary>Waits for a permit; false when Herald is shutting down first (the message is then given back).</summary>
        public async Task<bool> AcquireAsync(ClaimedDelivery d, CancellationToken stop)
        {
            var permits = d.Channel == Channel.Email ? _email : _sms;
            try { await permits.WaitAsync(stop); }
            catch (OperationCanceledException) { return false; }
            _held[d.Id] = permits;
            return true;
        }

        public void Release(IReadOnlyList<Completion> recorded)
        {
            foreach (var c in recorded)
                if (_held.TryRemove(c.Delivery.Id, out var permits)) permits.Release();
        }

        public void Dispose()
        {
            _email.Dispose();
            _sms.Dispose();
        }
    }

    // -------------------------------------------------------------------------------------------- complete

    /// <summary>
    /// Records answers as they come, by one writer that commits whatever has arrived as one group (one commit per answer
    /// would make the database, not the relay, the limit). A group the database refuses is kept and tried again with
    /// back-off until it is taken: answers are never dropped, so a busy or restarting database cannot make Herald send
    /// a message twice. Only an error that is not the database's (a bug) splits the group so the others still land.
    /// </summary>
    private sealed class CompletionWriter
    {
        private static readonly TimeSpan FirstBackOff = TimeSpan.FromMilliseconds(100), LastBackOff = TimeSpan.FromSeconds(5);
        private readonly DeliveryLedger _ledger;
        private readonly ILogger _log;
        private readonly Channel<Completion> _queue = System.Threading.Channels.Channel.CreateUnbounded<Completion>(new UnboundedChannelOptions { SingleReader = true });
        private readonly Action<IReadOnlyList<Completion>> _recorded;
        private readonly Task _loop;

        public CompletionWriter(DeliveryLedger ledger, ILogger log, Action<IReadOnlyList<Completion>> recorded)
        {
            (_ledger, _log, _recorded) = (ledger, log, recorded);
            _loop = Task.Run(LoopAsync);
        }

        public void Add(Completion c) => _queue.Writer.TryWrite(c);

        /// <summary>Waits until every answer added so far is recorded.</summary>
        public async Task DrainAsync()
        {
            _queue.Writer.Complete();
            await _loop;
        }

        private async Task LoopAsync()
        {
            var group = new List<Completion>();
            while (await _queue.Reader.WaitToReadAsync())
            {
                while (group.Count < 200 && _queue.Reader.TryRead(out var c)) group.Add(c);
                await CommitAsync(group.ToList());
                group.Clear();
            }
        }

        private async Task CommitAsync(IReadOnlyList<Completion> group)
        {
            var wait = FirstBackOff;
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    _ledger.Complete(group);
                    _recorded(group);
                    if (attempt > 1) LogRecordedAfterRetry(_log, group.Count, attempt);
                    return;
                }
                catch (DbException e)
                {
                    LogRecordRetry(_log, e, group.Count, wait);
                    HeraldMetrics.LedgerRetries.Inc();
                    await Task.Delay(wait);
                    wait = wait * 2 > LastBackOff ? LastBackOff : wait * 2;
                }
                catch (Exception e) when (group.Count > 1)
                {
                    LogGroupFailed(_log, e, group.Count);
                    foreach (var one in group) await CommitAsync([one]);
                    return;
                }
                catch (Exception e)
                {
                    // Not the database: a bug in recording this one answer. Its claim lapses and it is sent again later.
                    LogAnswerLost(_log, e, group[0].Delivery.Id);
                    _recorded(group);
                    return;
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Dispatch round failed; retrying after the poll interval")]
    private partial void LogRoundFailed(Exception e);

    [LoggerMessage(Level = LogLevel.Error, Message = "Delivery {DeliveryId}: the message could not be built (claim {Token}); recorded as rejected, systemerror")]
    private partial void LogBuildFailed(Exception e, long deliveryId, string token);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivery {DeliveryId}: the transport failed unexpectedly; retried as a temporary failure")]
    private partial void LogTransportFailed(Exception e, long deliveryId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording {Count} answers failed (database); kept and tried again in {Wait}")]
    private static partial void LogRecordRetry(ILogger log, Exception e, int count, TimeSpan wait);

    [LoggerMessage(Level = LogLevel.Information, Message = "Recorded {Count} answers at try {Attempt}")]
    private static partial void LogRecordedAfterRetry(ILogger log, int count, int attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Recording a group of {Count} answers failed (not the database); recording them one by one")]
    private static partial void LogGroupFailed(ILogger log, Exception e, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Recording the answer for delivery {DeliveryId} failed (not the database); its claim will lapse and it is sent again")]
    private static partial void LogAnswerLost(ILogger log, Exception e, long deliveryId);
}

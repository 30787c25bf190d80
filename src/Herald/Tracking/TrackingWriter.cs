using System.Threading.Channels;
using Herald.Deliveries;

namespace Herald.Tracking;

/// <summary>
/// Group commit for opens and clicks. Each request, after its answer is sent, hands its hit here and waits until the
/// hit is committed: what is waiting when the writer is free goes to the ledger as one transaction (each hit still its
/// own upsert). Nothing is acknowledged as recorded before its commit, so it is as durable as a write per request,
/// but a burst of opens (a newsletter landing in a thousand inboxes) costs one commit per group instead of one per
/// open: on SQLite, whose writers take turns, that is the difference between the endpoint keeping up or not.
/// On shutdown the writer drains what is queued before the host stops.
/// </summary>
public sealed partial class TrackingWriter(DeliveryLedger ledger, ILogger<TrackingWriter> log) : IHostedService
{
    /// <summary>Most hits in one transaction.</summary>
    private const int MaxGroup = 512;

    private readonly Channel<(TrackingHit Hit, TaskCompletionSource<RecordOutcome> Done)> _queue =
        Channel.CreateBounded<(TrackingHit, TaskCompletionSource<RecordOutcome>)>(new BoundedChannelOptions(10_000) { SingleReader = true });
    private Task? _loop;

    /// <summary>Records the hit; completes when it is committed. Once the writer has stopped, writes it directly.</summary>
    public async Task<RecordOutcome> WriteAsync(TrackingHit hit)
    {
        var done = new TaskCompletionSource<RecordOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        try { await _queue.Writer.WriteAsync((hit, done)); }
        catch (ChannelClosedException) { return ledger.Track(hit); }
        return await done.Task;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loop = Task.Run(RunAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        if (_loop is not null) await _loop.WaitAsync(cancellationToken);
    }

    private async Task RunAsync()
    {
        var group = new List<(TrackingHit Hit, TaskCompletionSource<RecordOutcome> Done)>(MaxGroup);
        while (await _queue.Reader.WaitToReadAsync())
        {
            group.Clear();
            while (group.Count < MaxGroup && _queue.Reader.TryRead(out var item)) group.Add(item);
            try
            {
                var outcomes = ledger.Track(group.Select(g => g.Hit).ToList());
                for (var i = 0; i < group.Count; i++) group[i].Done.TrySetResult(outcomes[i]);
            }
            catch (Exception e) when (group.Count > 1)
            {
                // One bad hit must not lose the others: each again on its own.
                LogGroupFailed(log, e, group.Count);
                foreach (var (hit, done) in group)
                {
                    try { done.TrySetResult(ledger.Track(hit)); }
                    catch (Exception one) { done.TrySetException(one); }
                }
            }
            catch (Exception e)
            {
                foreach (var (_, done) in group) done.TrySetException(e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A group of {Count} tracking hits failed; recording them one by one")]
    private static partial void LogGroupFailed(ILogger log, Exception e, int count);
}

public static class TrackingServices
{
    /// <summary>The group-commit writer of the web host (the CLI records nothing of this kind).</summary>
    public static IServiceCollection AddTracking(this IServiceCollection services)
    {
        services.AddSingleton<TrackingWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<TrackingWriter>());
        return services;
    }
}

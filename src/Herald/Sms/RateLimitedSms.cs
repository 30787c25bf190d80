using Herald.Core.Deliveries;

namespace Herald.Sms;

/// <summary>
/// Holds SMS submissions to at most <c>Herald:Sms:MaxPerSecond</c> towards whichever gateway is active. A token
/// bucket: it holds one second's worth of tokens (so a short burst goes at once), refills continuously from the
/// <see cref="TimeProvider"/>, and a send without a token waits (on that clock) for the next one. Thread-safe, so
/// several dispatcher workers share one limit. It sits in front of the transport rather than in the dispatcher,
/// which stays channel-agnostic.
/// </summary>
public sealed class RateLimitedSms : ISmsTransport
{
    private readonly ISmsTransport _inner;
    private readonly TimeProvider _time;
    private readonly double _perSecond;
    private readonly Lock _gate = new();
    private double _tokens;
    private long _refilledAt;
    private int _waiting;

    /// <param name="inner">The gateway's transport.</param>
    /// <param name="perSecond">Messages per second, at least 1.</param>
    /// <param name="time">The clock the bucket refills from.</param>
    public RateLimitedSms(ISmsTransport inner, int perSecond, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(perSecond, 1);
        (_inner, _perSecond, _time) = (inner, perSecond, time);
        _tokens = perSecond;
        _refilledAt = time.GetTimestamp();
    }

    /// <summary>The transport behind the limit.</summary>
    public ISmsTransport Inner => _inner;

    /// <summary>How many sends are waiting for a token right now (for tests and diagnostics).</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>The gateway's own: the bucket is shared under a lock, so parallel sends still keep to the limit.</summary>
    public int MaxInFlight => _inner.MaxInFlight;

    public async Task<TransportResult> SendAsync(OutgoingSms sms, CancellationToken ct)
    {
        await TakeAsync(ct);
        // A long wait for a token can outlast the dispatcher's safe half of its claim: give the SMS back rather than
        // risk a second worker sending it too (the start-up check keeps a batch within the whole lease, not half).
        if (sms.SendBy is { } by && _time.GetUtcNow() > by) return TransportResult.NotAttempted("the throughput limit");
        return await _inner.SendAsync(sms, ct);
    }

    private async Task TakeAsync(CancellationToken ct)
    {
        var counted = false;
        try
        {
            while (true)
            {
                TimeSpan wait;
                lock (_gate)
                {
                    var now = _time.GetTimestamp();
                    _tokens = Math.Min(_perSecond, _tokens + _time.GetElapsedTime(_refilledAt, now).TotalSeconds * _perSecond);
                    _refilledAt = now;
                    if (_tokens >= 1) { _tokens -= 1; return; }
                    // Until one whole token has refilled; at least a millisecond so rounding cannot spin.
                    wait = TimeSpan.FromSeconds(Math.Max((1 - _tokens) / _perSecond, 0.001));
                }
                if (!counted) { Interlocked.Increment(ref _waiting); counted = true; }
                await Task.Delay(wait, _time, ct);
            }
        }
        finally
        {
            if (counted) Interlocked.Decrement(ref _waiting);
        }
    }
}

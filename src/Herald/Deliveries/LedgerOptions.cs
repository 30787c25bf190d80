namespace Herald.Deliveries;

/// <summary>The ledger's one setting: after a relay's "delayed" report (or a soft bounce posted as feedback), how long
/// until the delivery settles on sent (<c>Herald:Email:DelayedSettleAfter</c>).</summary>
public sealed record LedgerOptions(TimeSpan DelayedSettleAfter);

/// <summary>Wakes the dispatcher at once when the ledger has new work (a send, a resend), instead of waiting for its
/// next poll.</summary>
public sealed class DispatchSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);
    public void Wake() { try { _signal.Release(); } catch (SemaphoreFullException) { } }
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => _signal.WaitAsync(timeout, ct);
}

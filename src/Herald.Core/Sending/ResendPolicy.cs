using Herald.Core.Deliveries;

namespace Herald.Core.Sending;

/// <summary>Whether a delivery may be resent, and why not.</summary>
public enum ResendVerdict
{
    /// <summary>A new attempt is made.</summary>
    Resend,
    /// <summary>It reached the recipient already; only a forced resend sends it again (and is logged as forced).</summary>
    AlreadyReached,
    /// <summary>It is still on its way (queued, waiting for a retry, held for the digest): resending would send it twice.</summary>
    InProgress,
}

/// <summary>The "never twice" rule of resending, as a table.</summary>
public static class ResendPolicy
{
    private static readonly Dictionary<DeliveryStatus, ResendVerdict> Table = new()
    {
        [DeliveryStatus.Sent] = ResendVerdict.AlreadyReached,
        [DeliveryStatus.Delivered] = ResendVerdict.AlreadyReached,
        [DeliveryStatus.Opened] = ResendVerdict.AlreadyReached,
        [DeliveryStatus.Clicked] = ResendVerdict.AlreadyReached,
        [DeliveryStatus.Queued] = ResendVerdict.InProgress,
        [DeliveryStatus.PendingDigest] = ResendVerdict.InProgress,
        [DeliveryStatus.SoftBounce] = ResendVerdict.InProgress,
    };

    /// <summary>The verdict for a delivery in <paramref name="status"/>; <paramref name="force"/> overrides only "already reached".</summary>
    public static ResendVerdict For(DeliveryStatus status, bool force)
    {
        var v = Table.GetValueOrDefault(status, ResendVerdict.Resend);
        return v == ResendVerdict.AlreadyReached && force ? ResendVerdict.Resend : v;
    }
}

using System.ComponentModel.DataAnnotations;

namespace Herald.Dispatch;

/// <summary>The dispatcher that moves queued deliveries through the transport.</summary>
public sealed class DispatchOptions
{
    /// <summary>Run the dispatcher in this process. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Deliveries claimed per round. Default 200.</summary>
    [Range(1, 10_000)] public int BatchSize { get; set; } = 200;

    /// <summary>How often the dispatcher looks for due work when nothing woke it. Default 1 second.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")] public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a claim holds before another worker may take the delivery over (a crashed process's
    /// deliveries wait this long). At least twice the longest a send can take once started (4 × <c>Herald:Email:Smtp:Timeout</c>;
    /// <c>Herald:Sms:Timeout</c>). Default 10 minutes.</summary>
    [Range(typeof(TimeSpan), "00:00:10", "01:00:00")] public TimeSpan ClaimTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>On SIGTERM/SIGINT: how long sends in flight may take to finish and be recorded before the process exits
    /// anyway. At least the longest a send can take. Default 5 minutes.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")] public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A delivery still queued after this long is flagged in the report, the health check and a metric. Default 30 minutes.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")] public TimeSpan QueuedAlertAfter { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How long soft bounces are retried before the delivery becomes rejected (expired). Default 72 hours.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")] public TimeSpan RetryWindow { get; set; } = TimeSpan.FromHours(72);

    /// <summary>The longest a started email send can take (4 × <c>Herald:Email:Smtp:Timeout</c>; zero for the sandbox).
    /// Set when the settings are loaded: the claim keeps this much time in reserve after the deadline to start.</summary>
    public TimeSpan EmailSendLimit { get; internal set; }

    /// <summary>The longest a started SMS submission can take (<c>Herald:Sms:Timeout</c>; zero for the sandbox).</summary>
    public TimeSpan SmsSendLimit { get; internal set; }
}

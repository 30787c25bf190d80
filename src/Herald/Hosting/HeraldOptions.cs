using System.ComponentModel.DataAnnotations;

namespace Herald.Hosting;

/// <summary>Herald's settings: the <c>Herald</c> section of appsettings.json, or <c>HERALD__...</c> variables
/// (e.g. <c>HERALD__DATABASE__PROVIDER=postgres</c>).</summary>
public sealed class HeraldOptions
{
    public const string Section = "Herald";

    /// <summary>Folder for the SQLite database and the sandbox's files. Default <c>data</c> (relative to the working directory).</summary>
    [Required] public string DataDirectory { get; set; } = "data";

    /// <summary>Where Herald listens. Default <c>http://127.0.0.1:5080</c>.</summary>
    [Required] public string Urls { get; set; } = "http://127.0.0.1:5080";

    public DatabaseOptions Database { get; set; } = new();
    public SenderOptions Sender { get; set; } = new();
    public DispatchOptions Dispatch { get; set; } = new();
    public TransportOptions Transport { get; set; } = new();
}

/// <summary>Which database Herald uses.</summary>
public sealed class DatabaseOptions
{
    /// <summary><c>sqlite</c> (default, a file in the data folder) or <c>postgres</c>.</summary>
    [Required] public string Provider { get; set; } = "sqlite";

    /// <summary>ADO.NET connection string. For SQLite, empty means <c>DATAFOLDER/herald.db</c>; required for postgres.</summary>
    public string? ConnectionString { get; set; }
}

/// <summary>The operator's default sender identity, used when an announcement does not use the school's own.</summary>
public sealed class SenderOptions
{
    /// <summary>Default From address (a no-reply address). Default <c>no-reply@herald.invalid</c>.</summary>
    [Required, EmailAddress] public string DefaultFromAddress { get; set; } = "no-reply@herald.invalid";

    /// <summary>Display name for the default From. Default <c>Herald</c>.</summary>
    public string DefaultFromName { get; set; } = "Herald";

    /// <summary>Domain used in Message-IDs. Default <c>herald.invalid</c>.</summary>
    [Required] public string MessageIdDomain { get; set; } = "herald.invalid";
}

/// <summary>The dispatcher that moves queued deliveries through the transport.</summary>
public sealed class DispatchOptions
{
    /// <summary>Run the dispatcher in this process. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Deliveries claimed per round. Default 200.</summary>
    [Range(1, 10_000)] public int BatchSize { get; set; } = 200;

    /// <summary>How often the dispatcher looks for due work when nothing woke it. Default 1 second.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")] public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a claim holds before another worker may take the delivery over. Default 5 minutes.</summary>
    [Range(typeof(TimeSpan), "00:00:10", "01:00:00")] public TimeSpan ClaimTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A delivery still queued after this long is flagged in the report, the health check and a metric. Default 30 minutes.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")] public TimeSpan QueuedAlertAfter { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How long soft bounces are retried before the delivery becomes rejected (expired). Default 72 hours.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")] public TimeSpan RetryWindow { get; set; } = TimeSpan.FromHours(72);
}

/// <summary>Which transports carry the messages.</summary>
public sealed class TransportOptions
{
    /// <summary><c>sandbox</c> (default): emails become .eml files, SMS become JSON lines, nothing leaves the machine.</summary>
    [Required, RegularExpression("^sandbox$", ErrorMessage = "Herald:Transport:Email must be 'sandbox' (the only email transport so far)")]
    public string Email { get; set; } = "sandbox";

    /// <summary><c>sandbox</c> (default).</summary>
    [Required, RegularExpression("^sandbox$", ErrorMessage = "Herald:Transport:Sms must be 'sandbox' (the only SMS transport so far)")]
    public string Sms { get; set; } = "sandbox";
}

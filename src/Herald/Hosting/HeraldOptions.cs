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
    public SmsOptions Sms { get; set; } = new();
    public Herald.Email.EmailOptions Email { get; set; } = new();

    /// <summary>The longest one send on <paramref name="email"/>'s or the SMS channel can take once it has started (a
    /// connection held): MAIL, RCPT, DATA and the end of the data, each bounded by the SMTP timeout; one HTTP request
    /// to an SMS gateway. Zero for the sandbox, which writes a file.</summary>
    public TimeSpan MaxSendDuration(bool email) => email
        ? Transport.Email == "smtp" ? 4 * Email.Smtp.Timeout : TimeSpan.Zero
        : Transport.Sms is "kannel" or "twilio" ? Sms.Timeout : TimeSpan.Zero;

    /// <summary>The lease must leave time to start a send and to finish it; shutdown must wait for one to finish.</summary>
    public IEnumerable<string> LeaseProblems()
    {
        var send = MaxSendDuration(true) > MaxSendDuration(false) ? MaxSendDuration(true) : MaxSendDuration(false);
        var what = MaxSendDuration(true) >= MaxSendDuration(false) ? "4 × Herald:Email:Smtp:Timeout" : "Herald:Sms:Timeout";
        if (Dispatch.ClaimTimeout < 2 * send)
            yield return $"Herald:Dispatch:ClaimTimeout: {Dispatch.ClaimTimeout} is less than twice the longest a send can take " +
                         $"({what} = {send}); another process could take a delivery over while it is still being sent. Raise it or lower the timeout";
        if (Dispatch.ShutdownTimeout < send)
            yield return $"Herald:Dispatch:ShutdownTimeout: {Dispatch.ShutdownTimeout} is less than the longest a send can take ({what} = {send})";
        if (Email.DelayedSettleAfter < TimeSpan.FromMinutes(1) || Email.DelayedSettleAfter > TimeSpan.FromDays(30))
            yield return "Herald:Email:DelayedSettleAfter: between 00:01:00 and 30.00:00:00";
    }
}

/// <summary>SMS gateway settings.</summary>
public sealed class SmsOptions
{
    public KannelOptions Kannel { get; set; } = new();

    /// <summary>Twilio-compatible hosted provider (<c>Herald:Sms:Twilio</c>); required when <c>Herald:Transport:Sms</c> is <c>twilio</c>.</summary>
    public Herald.Sms.TwilioOptions Twilio { get; set; } = new();

    /// <summary>Most SMS per second submitted to the gateway, whichever transport is active; 0 (default) = no limit.</summary>
    public int MaxPerSecond { get; set; }

    /// <summary>Most SMS submissions (HTTP requests to Kannel's sendsms or the hosted provider) in flight at once,
    /// between 1 and 256; default 8. One at a time waits a round trip per message; a few in flight keep the gateway
    /// busy. <see cref="MaxPerSecond"/> still holds across all of them.</summary>
    public int Connections { get; set; } = 8;

    /// <summary>How long one submission to the gateway (an HTTP request) may take before it counts as failed for now.
    /// Default 30 seconds.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>What is missing or wrong for the chosen transport, for the start-up error.</summary>
    public IEnumerable<string> Problems(string transport, DispatchOptions dispatch)
    {
        if (Timeout <= TimeSpan.Zero || Timeout > TimeSpan.FromMinutes(5)) yield return "Herald:Sms:Timeout: more than 0 and at most 00:05:00";
        if (MaxPerSecond is < 0 or > 10_000) yield return "Herald:Sms:MaxPerSecond: between 0 (no limit) and 10000";
        // A claimed batch waits in the limit; it must go out before its claim lapses, or another process could take
        // the same deliveries over and send them twice.
        else if (MaxPerSecond > 0 && dispatch.BatchSize > MaxPerSecond * dispatch.ClaimTimeout.TotalSeconds)
            yield return $"Herald:Sms:MaxPerSecond: {MaxPerSecond}/s cannot send a batch of Herald:Dispatch:BatchSize = {dispatch.BatchSize} " +
                         $"within Herald:Dispatch:ClaimTimeout = {dispatch.ClaimTimeout}; lower the batch size or raise the limit";
        if (Connections is < 1 or > 256) yield return "Herald:Sms:Connections: between 1 and 256";
        var chosen = transport switch { "kannel" => Kannel.Problems(), "twilio" => Twilio.Problems(), _ => [] };
        foreach (var p in chosen) yield return p;
    }
}

/// <summary>Kannel gateway (<c>Herald:Sms:Kannel</c>); required when <c>Herald:Transport:Sms</c> is <c>kannel</c>.</summary>
public sealed class KannelOptions
{
    /// <summary>smsbox sendsms URL, e.g. <c>http://127.0.0.1:13013/cgi-bin/sendsms</c>.</summary>
    public string? SendsmsUrl { get; set; }
    public string? Username { get; set; }
    public string? Password { get; set; }
    /// <summary>Sender id; empty means the school's name.</summary>
    public string? From { get; set; }
    /// <summary>Herald's public base URL, which Kannel calls back with delivery reports.</summary>
    public string? DlrBaseUrl { get; set; }
    /// <summary>Secret that signs the DLR URLs (HMAC-SHA256).</summary>
    public string? TokenSecret { get; set; }
    /// <summary>Most parts a text may need. Default 6.</summary>
    [Range(1, 255)] public int MaxParts { get; set; } = 6;

    /// <summary>What is missing or wrong, for the start-up error.</summary>
    public IEnumerable<string> Problems()
    {
        foreach (var (name, v) in new[] { ("SendsmsUrl", SendsmsUrl), ("Username", Username), ("Password", Password), ("DlrBaseUrl", DlrBaseUrl), ("TokenSecret", TokenSecret) })
            if (string.IsNullOrWhiteSpace(v)) yield return $"Herald:Sms:Kannel:{name}: required when Herald:Transport:Sms is kannel";
        foreach (var (name, v) in new[] { ("SendsmsUrl", SendsmsUrl), ("DlrBaseUrl", DlrBaseUrl) })
            if (!string.IsNullOrWhiteSpace(v) && !Uri.TryCreate(v, UriKind.Absolute, out _)) yield return $"Herald:Sms:Kannel:{name}: not an absolute URL";
        if (TokenSecret is { Length: > 0 and < 16 }) yield return "Herald:Sms:Kannel:TokenSecret: at least 16 characters";
        if (MaxParts is < 1 or > 255) yield return "Herald:Sms:Kannel:MaxParts: between 1 and 255";
    }
}

/// <summary>Which database Herald uses.</summary>
public sealed class DatabaseOptions
{
    /// <summary><c>sqlite</c> (default, a file in the data folder) or <c>postgres</c>.</summary>
    [Required] public string Provider { get; set; } = "sqlite";

    /// <summary>ADO.NET connection string. For SQLite, empty means <c>DATAFOLDER/herald.db</c>; required for postgres.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>SQLite: how long a write waits for another process's write lock before it fails (and is retried by
    /// its caller). Default 30 seconds.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")] public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(30);
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
}

/// <summary>Which transports carry the messages.</summary>
public sealed class TransportOptions
{
    /// <summary><c>sandbox</c> (default): emails become .eml files, nothing leaves the machine; or <c>smtp</c>
    /// (settings in <c>Herald:Email</c>).</summary>
    [Required, RegularExpression("^(sandbox|smtp)$", ErrorMessage = "Herald:Transport:Email must be 'sandbox' or 'smtp'")]
    public string Email { get; set; } = "sandbox";

    /// <summary><c>sandbox</c> (default), <c>kannel</c> (settings in <c>Herald:Sms:Kannel</c>) or <c>twilio</c>
    /// (a Twilio-compatible hosted provider, settings in <c>Herald:Sms:Twilio</c>).</summary>
    [Required, RegularExpression("^(sandbox|kannel|twilio)$", ErrorMessage = "Herald:Transport:Sms must be 'sandbox', 'kannel' or 'twilio'")]
    public string Sms { get; set; } = "sandbox";
}

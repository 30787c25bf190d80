using System.ComponentModel.DataAnnotations;

namespace Herald.Sms;

/// <summary>Which gateway carries SMS (<c>Herald:Transport:Sms</c>).</summary>
public enum SmsTransportMode
{
    /// <summary>Default: each SMS is a JSON line in the data folder; nothing leaves the machine.</summary>
    Sandbox,
    /// <summary>A Kannel gateway (<c>Herald:Sms:Kannel</c>).</summary>
    Kannel,
    /// <summary>A Twilio-compatible hosted provider (<c>Herald:Sms:Twilio</c>).</summary>
    Twilio,
}

/// <summary>SMS gateway settings.</summary>
public sealed class SmsOptions
{
    public KannelOptions Kannel { get; set; } = new();

    /// <summary>Twilio-compatible hosted provider (<c>Herald:Sms:Twilio</c>); required when <c>Herald:Transport:Sms</c> is <c>twilio</c>.</summary>
    public TwilioOptions Twilio { get; set; } = new();

    /// <summary>Most SMS per second submitted to the gateway, whichever transport is active; 0 (default) = no limit.</summary>
    public int MaxPerSecond { get; set; }

    /// <summary>Most SMS submissions (HTTP requests to Kannel's sendsms or the hosted provider) in flight at once,
    /// between 1 and 256; default 8. One at a time waits a round trip per message; a few in flight keep the gateway
    /// busy. <see cref="MaxPerSecond"/> still holds across all of them.</summary>
    public int Connections { get; set; } = 8;

    /// <summary>How long one submission to the gateway (an HTTP request) may take before it counts as failed for now.
    /// Default 30 seconds.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The gateway chosen by <c>Herald:Transport:Sms</c> (set when the settings are loaded).</summary>
    public SmsTransportMode Mode { get; internal set; }

    /// <summary>Most parts a text may need, for the chosen gateway.</summary>
    public int MaxParts => Mode == SmsTransportMode.Twilio ? Twilio.MaxParts : Kannel.MaxParts;

    /// <summary>What is missing or wrong for the chosen transport, for the start-up error.</summary>
    public IEnumerable<string> Problems()
    {
        if (Timeout <= TimeSpan.Zero || Timeout > TimeSpan.FromMinutes(5)) yield return "Herald:Sms:Timeout: more than 0 and at most 00:05:00";
        if (MaxPerSecond is < 0 or > 10_000) yield return "Herald:Sms:MaxPerSecond: between 0 (no limit) and 10000";
        if (Connections is < 1 or > 256) yield return "Herald:Sms:Connections: between 1 and 256";
        var chosen = Mode switch { SmsTransportMode.Kannel => Kannel.Problems(), SmsTransportMode.Twilio => Twilio.Problems(), _ => [] };
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

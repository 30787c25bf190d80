using System.ComponentModel.DataAnnotations;
using Herald.Dispatch;
using Herald.Email;
using Herald.Sms;
using Herald.Storage;

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

    /// <summary>Extra listeners for operations only (e.g. <c>http://127.0.0.1:5081</c>): there, <c>/health/details</c>,
    /// <c>/metrics</c>, <c>/openapi/v1.json</c> and <c>/scalar/v1</c> answer without a key. Empty by default (a fixed
    /// second port would collide when two Herald processes share a machine); on the main listener those routes need an
    /// operator key. Give explicit ports; keep them on loopback or a private network.</summary>
    public string ManagementUrls { get; set; } = "";

    public Herald.Http.ApiOptions Api { get; set; } = new();

    public DatabaseOptions Database { get; set; } = new();
    public SenderOptions Sender { get; set; } = new();
    public DispatchOptions Dispatch { get; set; } = new();
    public TransportOptions Transport { get; set; } = new();
    public SmsOptions Sms { get; set; } = new();
    public EmailOptions Email { get; set; } = new();

    /// <summary>Fills in what each capability needs of the others' settings: the chosen transports, and the longest a
    /// started send can take (MAIL, RCPT, DATA and the end of the data, each bounded by the SMTP timeout; one HTTP request
    /// to an SMS gateway; nothing for the sandbox, which writes a file).</summary>
    public void Compose()
    {
        Sms.Mode = Transport.Sms;
        Dispatch.EmailSendLimit = Transport.Email == EmailTransportMode.Smtp ? 4 * Email.Smtp.Timeout : TimeSpan.Zero;
        Dispatch.SmsSendLimit = Transport.Sms == SmsTransportMode.Sandbox ? TimeSpan.Zero : Sms.Timeout;
    }

    /// <summary>The management listeners' URLs, each with an explicit port.</summary>
    public IReadOnlyList<Uri> ManagementListeners() =>
        ManagementUrls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(u => Uri.TryCreate(u, UriKind.Absolute, out var uri) ? uri : null).OfType<Uri>().ToList();

    public IEnumerable<string> ManagementProblems()
    {
        var urls = ManagementUrls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var u in urls)
        {
            if (!Uri.TryCreate(u, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                yield return $"Herald:ManagementUrls: '{u}' is not an http:// or https:// URL";
            else if ((uri.IsDefaultPort && !u.Contains($":{uri.Port}", StringComparison.Ordinal)) || uri.Port == 0)
                yield return $"Herald:ManagementUrls: '{u}' needs an explicit port other than 0 (requests are told apart by the port they arrive on)";
            else if (Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                     .Any(m => Uri.TryCreate(m, UriKind.Absolute, out var main) && main.Port == uri.Port))
                yield return $"Herald:ManagementUrls: port {uri.Port} is also in Herald:Urls; the management listener needs a port of its own";
        }
    }

    /// <summary>The lease must leave time to start a send and to finish it; shutdown must wait for one to finish.</summary>
    public IEnumerable<string> LeaseProblems()
    {
        var (email, sms) = (Dispatch.EmailSendLimit, Dispatch.SmsSendLimit);
        var send = email > sms ? email : sms;
        var what = email >= sms ? "4 × Herald:Email:Smtp:Timeout" : "Herald:Sms:Timeout";
        if (Dispatch.ClaimTimeout < 2 * send)
            yield return $"Herald:Dispatch:ClaimTimeout: {Dispatch.ClaimTimeout} is less than twice the longest a send can take " +
                         $"({what} = {send}); another process could take a delivery over while it is still being sent. Raise it or lower the timeout";
        if (Dispatch.ShutdownTimeout < send)
            yield return $"Herald:Dispatch:ShutdownTimeout: {Dispatch.ShutdownTimeout} is less than the longest a send can take ({what} = {send})";
        if (Email.DelayedSettleAfter < TimeSpan.FromMinutes(1) || Email.DelayedSettleAfter > TimeSpan.FromDays(30))
            yield return "Herald:Email:DelayedSettleAfter: between 00:01:00 and 30.00:00:00";
        // A claimed batch waits in the SMS throughput limit; it must go out before its claim lapses, or another process
        // could take the same deliveries over and send them twice.
        if (Sms.MaxPerSecond > 0 && Dispatch.BatchSize > Sms.MaxPerSecond * Dispatch.ClaimTimeout.TotalSeconds)
            yield return $"Herald:Sms:MaxPerSecond: {Sms.MaxPerSecond}/s cannot send a batch of Herald:Dispatch:BatchSize = {Dispatch.BatchSize} " +
                         $"within Herald:Dispatch:ClaimTimeout = {Dispatch.ClaimTimeout}; lower the batch size or raise the limit";
    }
}

/// <summary>Which transports carry the messages.</summary>
public sealed class TransportOptions
{
    /// <summary><c>sandbox</c> (default): emails become .eml files, nothing leaves the machine; or <c>smtp</c>
    /// (settings in <c>Herald:Email</c>).</summary>
    public EmailTransportMode Email { get; set; } = EmailTransportMode.Sandbox;

    /// <summary><c>sandbox</c> (default), <c>kannel</c> (settings in <c>Herald:Sms:Kannel</c>) or <c>twilio</c>
    /// (a Twilio-compatible hosted provider, settings in <c>Herald:Sms:Twilio</c>).</summary>
    public SmsTransportMode Sms { get; set; } = SmsTransportMode.Sandbox;
}

using System.Collections.Concurrent;
using System.Net;
using System.Web;

namespace Herald.Tests.Servers;

/// <summary>
/// A fake SMS carrier on 127.0.0.1 and a random port, behind Kannel's <c>http</c> SMSC
/// (<c>system-type = kannel</c>): it accepts each submit ("Sent.") and then reports the outcome
/// through the DLR URL Kannel passed along. Numbers ending in 0 fail with error code
/// <see cref="FailureErrorCode"/>; every other number is delivered. Kannel's own fake SMSC can only
/// report success (docs/test-servers.md), hence this simulator.
/// </summary>
public sealed class CarrierSimulator
{
    public const string FailureErrorCode = "034";
    private readonly HttpListener listener = new();
    private readonly string username, password;

    /// <summary>Every submit Kannel made, as its query parameters (for assertions on what was sent).</summary>
    public ConcurrentQueue<System.Collections.Specialized.NameValueCollection> Submits { get; } = new();
    public int Port { get; }
    public string SendUrl => $"http://127.0.0.1:{Port}/send";

    public CarrierSimulator(string username, string password)
    {
        (this.username, this.password) = (username, password);
        Port = ServerHelpers.FreePort();
        listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        listener.Start();
        _ = Task.Run(ServeAsync);
    }

    /// <summary>True when the carrier reports <paramref name="number"/> as failed (it ends in 0).</summary>
    public static bool Fails(string number) => number.EndsWith('0');

    private async Task ServeAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await listener.GetContextAsync(); }
            catch (Exception) when (!listener.IsListening) { return; }
            var query = HttpUtility.ParseQueryString(context.Request.Url!.Query);
            Submits.Enqueue(query);
            await using (var writer = new StreamWriter(context.Response.OutputStream))
                await writer.WriteAsync("Sent.");
            context.Response.Close();
            _ = Task.Run(() => ReportAsync(query));
        }
    }

    /// <summary>
    /// Calls back Kannel as a downstream Kannel would: its DLR URL with %d replaced by the DLR
    /// type (1 delivered, 2 failed), plus credentials, the number, a text and the error code.
    /// Kannel looks the message up by the dlr-mid it embedded in that URL.
    /// </summary>
    private async Task ReportAsync(System.Collections.Specialized.NameValueCollection submit)
    {
        string to = submit["to"] ?? "", dlrUrl = submit["dlr-url"] ?? "";
        if (dlrUrl.Length == 0) return;
        bool fails = Fails(to);
        string text = fails ? $"stat:UNDELIV err:{FailureErrorCode}" : "stat:DELIVRD err:000";
        string url = dlrUrl.Replace("%d", fails ? "2" : "1") +
            $"&username={Uri.EscapeDataString(username)}&password={Uri.EscapeDataString(password)}" +
            $"&to={Uri.EscapeDataString(to)}&from=carrier&text={Uri.EscapeDataString(text)}" +
            (fails ? $"&dlr-err={FailureErrorCode}" : "");
        using var http = new HttpClient();
        for (int attempt = 0; attempt < 50; attempt++)
        {
            try
            {
                // Kannel may not have stored the DLR yet when our "Sent." reply is still in flight.
                string reply = await http.GetStringAsync(url);
                if (!reply.StartsWith("Unknown DLR")) return;
            }
            catch (HttpRequestException) { }
            await Task.Delay(200);
        }
    }

    public void Stop() => listener.Close();
}

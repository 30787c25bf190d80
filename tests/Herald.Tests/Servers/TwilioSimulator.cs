using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Web;

namespace Herald.Tests.Servers;

/// <summary>
/// A Twilio-like messaging API on 127.0.0.1 and a random port: <c>POST /2010-04-01/Accounts/{sid}/Messages.json</c>
/// with basic auth answers <c>201</c> and a message sid, then posts signed status callbacks to the
/// <c>StatusCallback</c> URL, as Twilio does. What happens depends on the last digit of <c>To</c>:
/// 3 → undelivered 30003 (the handset), 8 → failed 30008 (unknown error, not the number), 9 → refused at submit
/// with 400 / 21211 (invalid number); any other → sent, then delivered. Wrong credentials → 401 / 20003.
/// The signature is computed here from Twilio's description, independently of Herald's code.
/// </summary>
public sealed class TwilioSimulator : IAsyncDisposable
{
    public const string AccountSid = "AC0123456789abcdef0123456789abcdef";
    public const string AuthToken = "twilio-test-auth-token-0123456789";
    private readonly HttpListener listener = new();
    private readonly HttpClient callbacks = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly ConcurrentBag<Task> pending = [];
    private int sequence;

    /// <summary>Every accepted or refused submit, as its form fields.</summary>
    public ConcurrentQueue<Dictionary<string, string>> Submits { get; } = new();

    /// <summary>Herald's answer to every callback posted: (MessageSid, MessageStatus, HTTP status).</summary>
    public ConcurrentQueue<(string Sid, string Status, int Answer)> CallbackAnswers { get; } = new();

    public int Port { get; }
    public string BaseUrl => $"http://127.0.0.1:{Port}";

    public TwilioSimulator()
    {
        Port = ServerHelpers.FreePort();
        listener.Prefixes.Add($"{BaseUrl}/");
        listener.Start();
        _ = Task.Run(ServeAsync);
    }

    /// <summary>How many submits named <paramref name="to"/>.</summary>
    public int SubmitsTo(string to) => Submits.Count(s => s.GetValueOrDefault("To") == to);

    /// <summary>
    /// X-Twilio-Signature as Twilio documents it: take the full URL the callback is posted to, append every POST
    /// parameter's name and value with no separator, parameters sorted by name (case-sensitive), HMAC-SHA1 it
    /// with the auth token as key, base64-encode the digest.
    /// </summary>
    public static string Sign(string authToken, string url, IReadOnlyDictionary<string, string> form)
    {
        var text = url + string.Concat(form.Keys.Order(StringComparer.Ordinal).Select(k => k + form[k]));
        using var hmac = new HMACSHA1(Encoding.UTF8.GetBytes(authToken));
        return Convert.ToBase64String(hmac.ComputeHash(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>Posts <paramref name="form"/> to <paramref name="url"/> signed with <paramref name="signature"/> (computed when null).</summary>
    public static async Task<HttpResponseMessage> PostCallbackAsync(HttpClient http, string url, Dictionary<string, string> form, string? signature = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("X-Twilio-Signature", signature ?? Sign(AuthToken, url, form));
        return await http.SendAsync(request);
    }

    private async Task ServeAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await listener.GetContextAsync(); }
            catch (Exception) when (!listener.IsListening) { return; }
            try { await AnswerAsync(context); }
            catch (Exception e) { Console.Error.WriteLine($"Twilio simulator: {e}"); }
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        var req = context.Request;
        string body;
        using (var reader = new StreamReader(req.InputStream, Encoding.UTF8)) body = await reader.ReadToEndAsync();
        var parsed = HttpUtility.ParseQueryString(body);
        var form = parsed.AllKeys.Where(k => k is not null).ToDictionary(k => k!, k => parsed[k]!);
        var expectedAuth = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{AccountSid}:{AuthToken}"));

        if (req.HttpMethod != "POST" || req.Url!.AbsolutePath != $"/2010-04-01/Accounts/{AccountSid}/Messages.json")
            await ReplyAsync(context, 404, new { code = 20404, message = "The requested resource was not found", status = 404 });
        else if (req.Headers["Authorization"] != expectedAuth)
            await ReplyAsync(context, 401, new { code = 20003, message = "Authentication Error - invalid username", status = 401 });
        else if (!form.TryGetValue("To", out var to) || !form.ContainsKey("Body") || !(form.ContainsKey("From") || form.ContainsKey("MessagingServiceSid")))
            await ReplyAsync(context, 400, new { code = 21604, message = "A 'To', 'Body' and 'From' or 'MessagingServiceSid' are required", status = 400 });
        else if (to.EndsWith('9'))
        {
            Submits.Enqueue(form);
            await ReplyAsync(context, 400, new { code = 21211, message = $"The 'To' number {to} is not a valid phone number.", status = 400 });
        }
        else
        {
            Submits.Enqueue(form);
            var sid = $"SM{Interlocked.Increment(ref sequence):x8}{Guid.NewGuid():N}"[..34];
            await ReplyAsync(context, 201, new { sid, status = "queued", to, account_sid = AccountSid });
            if (form.TryGetValue("StatusCallback", out var callback))
                pending.Add(Task.Run(() => ReportAsync(callback, sid, form)));
        }
    }

    /// <summary>Posts "sent" then the outcome, as separate signed callbacks, like the real provider.</summary>
    private async Task ReportAsync(string url, string sid, Dictionary<string, string> submit)
    {
        var to = submit["To"];
        var outcome = to.EndsWith('3') ? ("undelivered", "30003") : to.EndsWith('8') ? ("failed", "30008") : ("delivered", (string?)null);
        foreach (var (status, error) in new[] { ("sent", (string?)null), outcome })
        {
            var form = new Dictionary<string, string>
            {
                ["AccountSid"] = AccountSid, ["ApiVersion"] = "2010-04-01", ["MessageSid"] = sid, ["SmsSid"] = sid,
                ["MessageStatus"] = status, ["SmsStatus"] = status, ["To"] = to, ["From"] = submit.GetValueOrDefault("From") ?? "",
            };
            if (error is not null) form["ErrorCode"] = error;
            using var answer = await PostCallbackAsync(callbacks, url, form);
            CallbackAnswers.Enqueue((sid, status, (int)answer.StatusCode));
        }
    }

    private static async Task ReplyAsync(HttpListenerContext context, int status, object body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        var bytes = JsonSerializer.SerializeToUtf8Bytes(body);
        await context.Response.OutputStream.WriteAsync(bytes);
        context.Response.Close();
    }

    public async ValueTask DisposeAsync()
    {
        listener.Close();
        try { await Task.WhenAll(pending).WaitAsync(TimeSpan.FromSeconds(30)); } catch (Exception) { /* reported through CallbackAnswers */ }
        callbacks.Dispose();
    }
}

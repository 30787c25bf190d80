using System.Security.Cryptography;
using System.Text;
using Herald.Core.Deliveries;
using Herald.Core.Sms;

namespace Herald.Sms;

/// <summary>Sends SMS through Kannel's smsbox <c>/cgi-bin/sendsms</c>; delivery reports come back on
/// <c>/api/v1/sms/kannel/dlr</c>, signed with <see cref="Token"/> because Kannel cannot send an API key.</summary>
public sealed class KannelTransport(HttpClient http, KannelOptions options, int maxInFlight = 1) : ISmsTransport
{
    /// <summary><c>Herald:Sms:Connections</c>: the dispatcher keeps this many submissions in flight. The transport
    /// keeps no state between sends, and <see cref="HttpClient"/> is safe to share, so nothing more is needed here.</summary>
    public int MaxInFlight { get; } = maxInFlight >= 1 ? maxInFlight : throw new ArgumentOutOfRangeException(nameof(maxInFlight));

    public const string DlrPath = "/api/v1/sms/kannel/dlr";

    public async Task<TransportResult> SendAsync(OutgoingSms sms, CancellationToken ct)
    {
        var enc = SmsText.Measure(sms.Text);
        // Announcement validation stops this earlier; the guard keeps a too-long text from being
        // billed as many parts. Failed, without blaming the number: it is not the number's fault.
        if (enc.Parts > options.MaxParts)
            return new TransportResult(DeliveryStatus.Failed, $"text needs {enc.Parts} parts; the maximum is {options.MaxParts}", BlamesAddress: false);

        var dlr = $"{options.DlrBaseUrl!.TrimEnd('/')}{DlrPath}?d={sms.DeliveryId}&a={sms.Attempt}" +
                  $"&t={Token(options.TokenSecret!, sms.DeliveryId, sms.Attempt)}&type=%d&smsc=%i&reply=%A";
        var q = new StringBuilder(options.SendsmsUrl);
        q.Append(options.SendsmsUrl!.Contains('?') ? '&' : '?');
        void Add(string k, string? v) { if (v is not null) q.Append(k).Append('=').Append(Uri.EscapeDataString(v)).Append('&'); }
        Add("username", options.Username);
        Add("password", options.Password);
        Add("to", sms.Number);
        Add("from", options.From ?? sms.Sender);
        Add("text", sms.Text);
        if (enc.Encoding == SmsText.Ucs2) { Add("coding", "2"); Add("charset", "UTF-8"); }
        Add("dlr-mask", "31");
        Add("dlr-url", dlr);

        // Connection refused or a timeout throws: the dispatcher turns that into a retried soft bounce.
        // Not cancelled on shutdown: a submission abandoned half-way has an unknown outcome (sent twice if retried);
        // the HTTP timeout bounds it instead (Herald:Sms:Timeout).
        using var resp = await http.GetAsync(q.ToString().TrimEnd('&'), CancellationToken.None);
        var body = (await resp.Content.ReadAsStringAsync(CancellationToken.None)).Trim();
        // "0: Accepted for delivery" and "3: Queued for later delivery" both mean Kannel has it;
        // neither means the handset has it, so the status is sent until a DLR says more.
        if (resp.IsSuccessStatusCode && (body.StartsWith("0:") || body.StartsWith("3:")))
            return new TransportResult(DeliveryStatus.Sent, $"kannel: {body}");
        // Anything else (bad credentials, smsbox overloaded…) is Kannel's problem, not the number's: retry.
        return new TransportResult(DeliveryStatus.SoftBounce, $"kannel: HTTP {(int)resp.StatusCode} {body}");
    }

    /// <summary>HMAC-SHA256 of "deliveryId.attempt", base64url, first 22 characters (128 bits).</summary>
    public static string Token(string secret, long deliveryId, int attempt)
    {
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{deliveryId}.{attempt}"));
        return Convert.ToBase64String(mac).TrimEnd('=').Replace('+', '-').Replace('/', '_')[..22];
    }

    public static bool CheckToken(string secret, long deliveryId, int attempt, string? token) =>
        token is not null && CryptographicOperations.FixedTimeEquals(
            Encoding.ASCII.GetBytes(Token(secret, deliveryId, attempt)), Encoding.ASCII.GetBytes(token));
}

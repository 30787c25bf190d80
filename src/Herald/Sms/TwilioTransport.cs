using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Herald.Core.Deliveries;
using Herald.Core.Sms;

namespace Herald.Sms;

/// <summary>
/// Sends SMS through a Twilio-compatible REST API: <c>POST {BaseUrl}/2010-04-01/Accounts/{AccountSid}/Messages.json</c>
/// with basic auth. Status callbacks come back on <see cref="TwilioStatusApi"/>, with the delivery and attempt in the
/// callback URL's query, which the provider's <c>X-Twilio-Signature</c> covers.
/// </summary>
public sealed class TwilioTransport(HttpClient http, TwilioOptions options, int maxInFlight = 1) : ISmsTransport
{
    /// <summary><c>Herald:Sms:Connections</c>: the dispatcher keeps this many submissions in flight. The transport
    /// keeps no state between sends, and <see cref="HttpClient"/> is safe to share, so nothing more is needed here.</summary>
    public int MaxInFlight { get; } = maxInFlight >= 1 ? maxInFlight : throw new ArgumentOutOfRangeException(nameof(maxInFlight));

    public const string StatusPath = "/api/v1/sms/twilio/status";

    /// <summary>The StatusCallback URL Herald gives the provider for one delivery attempt.</summary>
    public static string CallbackUrl(TwilioOptions o, long deliveryId, int attempt) =>
        $"{o.StatusCallbackUrl}{(o.StatusCallbackUrl!.Contains('?') ? '&' : '?')}d={deliveryId}&a={attempt}";

    public async Task<TransportResult> SendAsync(OutgoingSms sms, CancellationToken ct)
    {
        var enc = SmsText.Measure(sms.Text);
        // As for Kannel: a text longer than allowed is refused here too, without blaming the number.
        if (enc.Parts > options.MaxParts)
            return new TransportResult(DeliveryStatus.Failed, $"text needs {enc.Parts} parts; the maximum is {options.MaxParts}", BlamesAddress: false);

        var form = new List<KeyValuePair<string, string>> { new("To", sms.Number), new("Body", sms.Text) };
        form.Add(string.IsNullOrWhiteSpace(options.MessagingServiceSid)
            ? new("From", options.From!) : new("MessagingServiceSid", options.MessagingServiceSid));
        form.Add(new("StatusCallback", CallbackUrl(options, sms.DeliveryId, sms.Attempt)));
        using var request = new HttpRequestMessage(HttpMethod.Post,
            $"{options.BaseUrl.TrimEnd('/')}/2010-04-01/Accounts/{Uri.EscapeDataString(options.AccountSid!)}/Messages.json")
        {
            Content = new FormUrlEncodedContent(form),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.AccountSid}:{options.AuthToken}")));

        // Connection refused or a timeout throws: the dispatcher turns that into a retried soft bounce.
        // Not cancelled on shutdown: a submission abandoned half-way has an unknown outcome (sent twice if retried);
        // the HTTP timeout bounds it instead (Herald:Sms:Timeout).
        using var resp = await http.SendAsync(request, CancellationToken.None);
        var body = await resp.Content.ReadAsStringAsync(CancellationToken.None);
        var json = TryParse(body);
        if (resp.IsSuccessStatusCode)
        {
            // queued/accepted: the provider has it, the handset does not yet; callbacks say more.
            var sid = Str(json, "sid");
            if (sid is null)
                return new TransportResult(DeliveryStatus.SoftBounce, $"twilio: HTTP {(int)resp.StatusCode} without a message sid: {Clip(body)}");
            return new TransportResult(DeliveryStatus.Sent, $"twilio: {sid} {Str(json, "status") ?? "accepted"}");
        }

        var code = json is { } j && j.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.Number && c.TryGetInt32(out var n) ? n : (int?)null;
        var detail = $"twilio: HTTP {(int)resp.StatusCode} error {(code is { } k ? TwilioErrors.Describe(k) : "(no code)")}: {Str(json, "message") ?? Clip(body)}";
        return TwilioErrors.Find(code)?.Fault switch
        {
            SmsFault.Number => new TransportResult(DeliveryStatus.Failed, detail, Reason: $"twilio {code}"),
            SmsFault.Message => new TransportResult(DeliveryStatus.Failed, detail, Reason: $"twilio {code}", BlamesAddress: false),
            // Herald's account or settings, an unknown code, a 429 or a 5xx: retried within the retry window.
            _ => new TransportResult(DeliveryStatus.SoftBounce, detail),
        };
    }

    private static JsonElement? TryParse(string body)
    {
        try { return JsonDocument.Parse(body).RootElement; }
        catch (JsonException) { return null; }
    }

    private static string? Str(JsonElement? e, string name) =>
        e is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string Clip(string s) => s.Length <= 300 ? s.Trim() : s[..300].Trim() + "…";
}

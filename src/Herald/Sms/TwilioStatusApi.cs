using System.Security.Cryptography;
using System.Text;
using Herald.Core.Deliveries;
using Herald.Core.Sms;
using Herald.Deliveries;
using Herald.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Prometheus;

namespace Herald.Sms;

/// <summary><c>POST /api/v1/sms/twilio/status</c>: a Twilio-compatible provider's status callbacks. Outside the API-key
/// group (the provider cannot send a key); authenticated by <c>X-Twilio-Signature</c>, which covers the callback URL
/// (and with it the delivery and attempt Herald put there) and every form field.</summary>
public static partial class TwilioStatusApi
{
    private static readonly Counter Callbacks = Metrics.CreateCounter(
        "herald_twilio_callbacks_total", "Twilio status callbacks, by result (recorded, duplicate, forbidden, invalid, unknown_delivery).", "result");

    public static void MapTwilioStatus(this IEndpointRouteBuilder app)
    {
        app.MapPost(TwilioTransport.StatusPath, async (HttpRequest request, SmsOptions options, DeliveryLedger recorder, TimeProvider time, ILoggerFactory logs) =>
        {
            var log = logs.CreateLogger("Herald.Sms.TwilioStatus");
            var o = options.Twilio;
            // Everything that can refuse the callback without its body does so first: nothing is read for a caller
            // that cannot be the provider, and the body is read within a small limit (BodyLimits.Callback), never
            // buffered whole; only the url-encoded form Twilio sends is parsed (a multipart form could carry files).
            if (!IsUrlEncodedForm(request.ContentType))
            {
                Callbacks.WithLabels("invalid").Inc();
                return TypedResults.Problem("the body must be application/x-www-form-urlencoded", statusCode: 415, title: "Unsupported media type");
            }
            var signature = request.Headers["X-Twilio-Signature"].ToString();
            if (string.IsNullOrEmpty(o.AuthToken) || string.IsNullOrEmpty(o.StatusCallbackUrl) || signature.Length == 0)
            {
                Callbacks.WithLabels("forbidden").Inc();
                return Problems.Forbidden("missing or bad X-Twilio-Signature");
            }
            Dictionary<string, StringValues> form;
            try { form = await ReadForm(request); }
            catch (BodyTooLarge) { Callbacks.WithLabels("invalid").Inc(); return BodyLimits.TooLarge(BodyLimits.Callback); }
            catch (InvalidDataException x) { return Invalid($"unreadable form: {x.Message}"); }

            // The provider signs the URL it called, which is the configured URL plus the query Herald added;
            // rebuilding it from the configuration keeps a proxy's rewriting of host or scheme out of the check.
            if (!SignatureMatches(o.AuthToken, SignedUrl(o.StatusCallbackUrl, request.QueryString.Value), form, signature))
            {
                Callbacks.WithLabels("forbidden").Inc();
                return Problems.Forbidden("missing or bad X-Twilio-Signature");
            }

            var problems = new List<string>();
            long d = 0; int a = 0;
            if (!long.TryParse(request.Query["d"], out d)) problems.Add("query d: the delivery id is missing or not a number");
            if (!int.TryParse(request.Query["a"], out a)) problems.Add("query a: the attempt is missing or not a number");
            string sid = Field(form, "MessageSid"), status = Field(form, "MessageStatus"), code = Field(form, "ErrorCode");
            if (sid.Length == 0) problems.Add("MessageSid: required");
            if (status.Length == 0) problems.Add("MessageStatus: required");
            var mapped = status.Length == 0 ? default : MapStatus(status);
            if (status.Length > 0 && mapped.What is null) problems.Add($"MessageStatus: unknown value '{status}'");
            int? errorCode = null;
            if (code.Length > 0) { if (int.TryParse(code, out var c)) errorCode = c; else problems.Add($"ErrorCode: '{code}' is not a number"); }
            if (Field(form, "AccountSid") is { Length: > 0 } acct && acct != o.AccountSid) problems.Add("AccountSid: not this account");
            if (problems.Count > 0) return Invalid(string.Join("; ", problems));

            var blames = mapped.Status == DeliveryStatus.Failed && TwilioErrors.BlamesNumber(errorCode);
            var error = errorCode is { } ec ? $" error {TwilioErrors.Describe(ec)}" : "";
            var text = Field(form, "ErrorMessage") is { Length: > 0 } m ? $" ({m})" : "";
            var detail = $"twilio {status}: {mapped.What}{error}{text} sid={sid}";
            if (mapped.Status == DeliveryStatus.Failed)
                LogFailed(log, d, sid, status, errorCode, blames);
            var e = new DeliveryEvent(d, mapped.Status, EventSource.Webhook, detail, $"twilio:{sid}:{status}", time.GetUtcNow(),
                Reason: errorCode is { } r ? $"twilio {r}" : null, BlamesAddress: blames, Attempt: a);
            var outcome = recorder.Record(e);
            if (outcome.Result == EventResult.UnknownDelivery)
            {
                LogUnknown(log, d, a, sid, status);
                Callbacks.WithLabels("unknown_delivery").Inc();
                return Problems.NotFound($"delivery {d}");
            }
            Callbacks.WithLabels(outcome.Result == EventResult.Duplicate ? "duplicate" : "recorded").Inc();
            return Results.Ok();
        }).WithTags("SMS").WithSummary("Twilio-compatible status callback (X-Twilio-Signature, no API key)").DisableAntiforgery()
            .WithBodyLimit(BodyLimits.Callback);
    }

    /// <summary>Most fields in a callback form, and the longest name and value: Twilio sends about fifteen short fields.</summary>
    private const int MaxFields = 64, MaxKeyLength = 100, MaxValueLength = 4096;

    private sealed class BodyTooLarge : Exception;

    private static bool IsUrlEncodedForm(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var media)
        && media.MediaType.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase);

    /// <summary>Reads the form within the callback limit, stopping at the first byte past it (a chunked body has no
    /// declared length to refuse up front), and parses it with small field limits.</summary>
    private static async Task<Dictionary<string, StringValues>> ReadForm(HttpRequest request)
    {
        var body = new MemoryStream();
        var chunk = new byte[8192];
        try
        {
            int n;
            while ((n = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
            {
                body.Write(chunk, 0, n);
                if (body.Length > BodyLimits.Callback) throw new BodyTooLarge();
            }
        }
        // Kestrel's own cut-off at the route's limit.
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge) { throw new BodyTooLarge(); }
        body.Position = 0;
        using var reader = new FormReader(body) { ValueCountLimit = MaxFields, KeyLengthLimit = MaxKeyLength, ValueLengthLimit = MaxValueLength };
        return await reader.ReadFormAsync(request.HttpContext.RequestAborted);
    }

    private static string Field(Dictionary<string, StringValues> form, string name) => form.TryGetValue(name, out var v) ? v.ToString() : "";

    private static IResult Invalid(string detail)
    {
        Callbacks.WithLabels("invalid").Inc();
        return TypedResults.Problem(detail, statusCode: 400, title: "Bad request");
    }

    /// <summary>What a <c>MessageStatus</c> means for the delivery: a status (null = log only) and words for the log;
    /// What is null for a value Herald does not know.</summary>
    private static (DeliveryStatus? Status, string? What) MapStatus(string status) => status switch
    {
        // The provider has it and is working on it: all of these are Herald's "sent".
        "queued" or "accepted" or "scheduled" or "sending" or "sent" => (DeliveryStatus.Sent, "accepted by the provider"),
        "delivered" or "read" => (DeliveryStatus.Delivered, "delivered to phone"),
        "undelivered" => (DeliveryStatus.Failed, "not delivered"),
        "failed" => (DeliveryStatus.Failed, "failed"),
        // Cancelled before sending (a scheduled message): final, not the number's fault (no error code, so no blame).
        "canceled" => (DeliveryStatus.Failed, "cancelled"),
        _ => (null, null),
    };

    /// <summary>The URL the provider signed: the configured callback URL's scheme, host and path with the request's query.</summary>
    public static string SignedUrl(string configuredUrl, string? query)
    {
        var q = configuredUrl.IndexOf('?');
        return (q < 0 ? configuredUrl : configuredUrl[..q]) + (query ?? "");
    }

    /// <summary>X-Twilio-Signature: base64 HMAC-SHA1, keyed with the auth token, of the URL followed by every form
    /// field's name and value, fields in ordinal order of their names.</summary>
    public static string Signature(string authToken, string url, IEnumerable<KeyValuePair<string, string>> fields)
    {
        var data = new StringBuilder(url);
        foreach (var (k, v) in fields.OrderBy(f => f.Key, StringComparer.Ordinal).ThenBy(f => f.Value, StringComparer.Ordinal))
            data.Append(k).Append(v);
        return Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data.ToString())));
    }

    private static bool SignatureMatches(string authToken, string url, Dictionary<string, StringValues> form, string signature)
    {
        var expected = Signature(authToken, url, form.SelectMany(f => f.Value.Select(v => new KeyValuePair<string, string>(f.Key, v ?? ""))));
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Twilio status callback for unknown delivery {DeliveryId} attempt {Attempt} sid {Sid} status {Status}")]
    private static partial void LogUnknown(ILogger log, long deliveryId, int attempt, string sid, string status);

    [LoggerMessage(Level = LogLevel.Information, Message = "Twilio SMS for delivery {DeliveryId} sid {Sid} {Status} with error {ErrorCode}; number blamed: {Blamed}")]
    private static partial void LogFailed(ILogger log, long deliveryId, string sid, string status, int? errorCode, bool blamed);
}

using Herald.Core.Deliveries;
using Herald.Deliveries;
using Herald.Http;
using Prometheus;

namespace Herald.Sms;

/// <summary><c>GET /api/v1/sms/kannel/dlr</c>: Kannel's delivery reports. Outside the API-key group
/// (Kannel cannot send a key); each URL carries an HMAC token over its delivery and attempt.</summary>
public static partial class KannelDlrApi
{
    private static readonly Counter Dlrs = Metrics.CreateCounter(
        "herald_kannel_dlrs_total", "Kannel delivery reports, by result (recorded, duplicate, forbidden, unknown_delivery).", "result");

    public static void MapKannelDlr(this IEndpointRouteBuilder app)
    {
        app.MapGet(KannelTransport.DlrPath, (long? d, int? a, string? t, int? type, string? smsc, string? reply,
            DeliveryLedger recorder, SmsOptions options, TimeProvider time, ILoggerFactory logs) =>
        {
            var log = logs.CreateLogger("Herald.Sms.KannelDlr");
            var secret = options.Kannel.TokenSecret;
            if (string.IsNullOrEmpty(secret) || d is null || a is null || !KannelTransport.CheckToken(secret, d.Value, a.Value, t))
            {
                Dlrs.WithLabels("forbidden").Inc();
                return Problems.Forbidden("missing or bad DLR token");
            }
            var (status, what) = type switch
            {
                1 => (DeliveryStatus.Delivered, "delivered to phone"),
                // 2 = the carrier's final failure, 16 = the SMSC refused it: the number does not work
                // (the recorder marks it failed). reply is the carrier's text, e.g. "stat:UNDELIV err:034".
                2 => (DeliveryStatus.Failed, "failed"),
                16 => (DeliveryStatus.Failed, "rejected by SMSC"),
                // 4 buffered / 8 accepted by the SMSC: progress, not an outcome; kept in the log only.
                4 => ((DeliveryStatus?)null, "buffered by SMSC"),
                8 => (null, "submitted to SMSC"),
                _ => (null, $"unknown DLR type {type}"),
            };
            var detail = $"kannel DLR {type}: {what}" + (string.IsNullOrEmpty(reply) ? "" : $" ({reply})") + (string.IsNullOrEmpty(smsc) ? "" : $" smsc={smsc}");
            var e = new DeliveryEvent(d.Value, status, EventSource.Webhook, detail, $"kannel:{d}:{a}:{type}", time.GetUtcNow(), Attempt: a);
            var outcome = recorder.Record(e);
            if (outcome.Result == EventResult.UnknownDelivery)
            {
                LogUnknown(log, d.Value, a.Value, type);
                Dlrs.WithLabels("unknown_delivery").Inc();
                return Problems.NotFound($"delivery {d}");
            }
            Dlrs.WithLabels(outcome.Result == EventResult.Duplicate ? "duplicate" : "recorded").Inc();
            return Results.Ok();
        }).WithTags("SMS").WithSummary("Kannel delivery report (signed URL, no API key)").WithBodyLimit(BodyLimits.Callback);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kannel DLR for unknown delivery {DeliveryId} attempt {Attempt} type {Type}")]
    private static partial void LogUnknown(ILogger log, long deliveryId, int attempt, int? type);
}

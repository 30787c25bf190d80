using System.Text.Json;
using Herald.Core.Bounces.Rules;

namespace Herald.Core.Bounces;

/// <summary>
/// Amazon SES notifications delivered by email through SNS (JSON bodies):
/// https://docs.aws.amazon.com/ses/latest/dg/notification-contents.html
/// </summary>
internal static class SesExtractor
{
    public static (MessageKind Kind, List<RecipientFacts> Facts)? Extract(string body)
    {
        int start = body.IndexOf('{');
        if (start < 0 || !body.Contains("notificationType", StringComparison.Ordinal)) return null;
        int end = body.LastIndexOf('}');
        if (end <= start) return null;
        var json = body[start..(end + 1)];
        var doc = Parse(json) ?? Parse(json.Replace("\r", "").Replace("\n", ""));
        if (doc is null) return null;
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("Message", out var inner) && inner.ValueKind == JsonValueKind.String)
            {
                using var d2 = Parse(inner.GetString() ?? "");
                return d2 is null ? null : Read(d2.RootElement);
            }
            return Read(root);
        }
    }

    private static JsonDocument? Parse(string s)
    {
        try { return JsonDocument.Parse(s); } catch (JsonException) { return null; }
    }

    private static (MessageKind, List<RecipientFacts>)? Read(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("notificationType", out var nt)) return null;
        var list = new List<RecipientFacts>();
        switch (nt.GetString())
        {
            case "Bounce" when root.TryGetProperty("bounce", out var b):
            {
                var subType = Str(b, "bounceSubType");
                bool permanent = Str(b, "bounceType") == "Permanent";
                if (b.TryGetProperty("bouncedRecipients", out var rs) && rs.ValueKind == JsonValueKind.Array)
                    foreach (var r in rs.EnumerateArray())
                    {
                        var diag = Str(r, "diagnosticCode") ?? "";
                        var f = new RecipientFacts
                        {
                            Address = Str(r, "emailAddress") ?? "",
                            Action = Str(r, "action") ?? "failed",
                            Status = StatusCodes.Prefer(Str(r, "status") is { } s ? StatusCodes.Find(s) : null, StatusCodes.FindRemote(diag), StatusCodes.FindReply(diag)),
                            Diagnostic = diag,
                            ReplyCode = StatusCodes.FindReply(diag),
                            RemoteMta = Str(b, "remoteMtaIp"),
                            ReportingMta = Str(b, "reportingMTA"),
                        };
                        // bounceSubType is SES's own verdict: https://docs.aws.amazon.com/ses/latest/dg/notification-contents.html#bounce-types
                        f.Reason = subType switch
                        {
                            // Suppressed: SES refused because the address bounced hard before.
                            "Suppressed" or "OnAccountSuppressionList" => BounceReason.UserUnknown,
                            "MailboxFull" => BounceReason.MailboxFull,
                            "MessageTooLarge" => BounceReason.MesgTooBig,
                            "ContentRejected" => BounceReason.ContentError,
                            "AttachmentRejected" => BounceReason.VirusDetected,
                            "NoEmail" => BounceReason.UserUnknown,
                            _ => null,
                        };
                        f.ReasonIsVerdict = f.Reason is not null;
                        if (f.Reason is null && !permanent && diag.Length == 0) f.Reason = BounceReason.Expired;
                        list.Add(f);
                    }
                return (MessageKind.Bounce, list);
            }
            case "Complaint" when root.TryGetProperty("complaint", out var c):
            {
                var type = Str(c, "complaintFeedbackType") ?? "abuse";
                if (c.TryGetProperty("complainedRecipients", out var rs) && rs.ValueKind == JsonValueKind.Array)
                    foreach (var r in rs.EnumerateArray())
                        list.Add(new RecipientFacts { Address = Str(r, "emailAddress") ?? "", FeedbackType = type, Reason = BounceReason.Feedback });
                return (MessageKind.Complaint, list);
            }
            case "Delivery" when root.TryGetProperty("delivery", out var d):
            {
                var smtp = Str(d, "smtpResponse") ?? "";
                if (d.TryGetProperty("recipients", out var rs) && rs.ValueKind == JsonValueKind.Array)
                    foreach (var r in rs.EnumerateArray())
                        list.Add(new RecipientFacts
                        {
                            Address = r.GetString() ?? "", Action = "delivered", Diagnostic = smtp,
                            Status = StatusCodes.Find(smtp) ?? "2.6.0", ReplyCode = StatusCodes.FindReply(smtp),
                            RemoteMta = Str(d, "remoteMtaIp"), Reason = BounceReason.Delivered,
                        });
                return (MessageKind.DeliveryReport, list);
            }
        }
        return null;
    }

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}


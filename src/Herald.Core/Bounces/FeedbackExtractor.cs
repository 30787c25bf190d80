namespace Herald.Core.Bounces;

/// <summary>
/// Spam complaints: ARF feedback reports (RFC 5965: multipart/report; report-type=feedback-report with a
/// message/feedback-report part), and the feedback loops that send the complained-about message with a
/// short note instead (Hotmail/Outlook JMRP, Apple's unsubscribe mail).
/// </summary>
internal static class FeedbackExtractor
{
    /// <param name="lowered">The human-readable text, lowercased.</param>
    public static List<RecipientFacts>? Extract(RawMessage m, List<RawPart> leaves, string lowered)
    {
        RawPart? report = null;
        foreach (var e in leaves)
            if (e is { Kind: RawKind.Leaf or RawKind.Text } p && MessageText.Is(p, "message", "feedback-report")) { report = p; break; }
        bool reportType = m.Body?.Parameter("report-type")?.Equals("feedback-report", StringComparison.OrdinalIgnoreCase) == true;
        if (report is null && !reportType) return JmrpStyle(m, leaves, lowered);

        string type = "abuse";
        var rcpts = new List<string>();
        if (report is not null)
        {
            foreach (var g in MessageText.FieldGroups(MessageText.Read(report)))
                foreach (var kv in g)
                {
                    if (kv.Key == "feedback-type") type = kv.Value.Trim().ToLowerInvariant();
                    else if (kv.Key is "original-rcpt-to" or "removal-recipient" && MessageText.FirstAddress(kv.Value) is { } a && !rcpts.Contains(a, StringComparer.OrdinalIgnoreCase)) rcpts.Add(a);
                }
        }
        if (rcpts.Count == 0 && OriginalRecipient(m, leaves) is { } to) rcpts.Add(to);
        if (rcpts.Count == 0) rcpts.Add("");
        return rcpts.Select(a => Facts(a, type)).ToList();
    }

    private static RecipientFacts Facts(string address, string type) => new()
    {
        Address = address, Action = "", FeedbackType = type, Reason = BounceReason.Feedback,
    };

    /// <summary>Feedback loops that forward the message with a note (no ARF part).</summary>
    private static List<RecipientFacts>? JmrpStyle(RawMessage m, List<RawPart> leaves, string lowered)
    {
        var subject = (m.Subject ?? "").ToLowerInvariant();
        var from = (m.FromAddress ?? "").ToLowerInvariant();
        string? type = null;
        if (subject.StartsWith("complaint about message from", StringComparison.Ordinal)) type = "abuse";       // Outlook.com JMRP
        else if (lowered.Contains("sent this email to unsubscribe", StringComparison.Ordinal)) type = "opt-out"; // Apple Mail "unsubscribe"
        if (type is null) return null;
        var to = OriginalRecipient(m, leaves) ?? (type == "opt-out" ? from : "");
        return [Facts(to ?? "", type)];
    }

    /// <summary>The To of the attached original message (message/rfc822 or text/rfc822-headers).</summary>
    public static string? OriginalRecipient(RawMessage? m, List<RawPart> leaves)
    {
        foreach (var e in leaves)
        {
            if (e is { Kind: RawKind.Message, Message: { } inner })
                return inner.FirstToAddress;
            if (e.Kind == RawKind.Text && MessageText.Is(e, "text", "rfc822-headers"))
                foreach (var g in MessageText.FieldGroups(MessageText.Read(e)))
                    if (MessageText.Field(g, "to") is { } to) return MessageText.FirstAddress(to);
        }
        return null;
    }
}

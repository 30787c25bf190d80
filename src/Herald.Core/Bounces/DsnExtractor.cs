using Herald.Core.Bounces.Rules;

namespace Herald.Core.Bounces;

/// <summary>
/// RFC 3464 delivery status notifications: the per-recipient fields of a message/delivery-status part
/// (or message/global-delivery-status, RFC 6533), and the same fields when an MTA writes them into a
/// text part instead (Amazon WorkMail, some Exchange and qmail variants).
/// </summary>
internal static class DsnExtractor
{
    /// <param name="report">The message is a multipart/report (RFC 6522): only then are parts of other types than text
    /// read for report fields, so that ordinary mail's attachments are never decoded.</param>
    public static List<RecipientFacts>? Extract(List<RawPart> leaves, string human, string lowered, bool report)
    {
        if (lowered.Contains("final-recipient:", StringComparison.Ordinal) && !leaves.Any(e => e.Kind == RawKind.Text))
            if (Parse(Unindent(human)) is { Count: > 0 } fromPreamble) return fromPreamble;
        foreach (var e in leaves)
            if (e is { Kind: RawKind.Leaf or RawKind.Text } p && (MessageText.Is(p, "message", "delivery-status") || MessageText.Is(p, "message", "global-delivery-status")))
                if (Parse(Fields(p)) is { Count: > 0 } r) return r;
        // Tolerance: the same fields in a part typed otherwise (text/plain, application/octet-stream, a misspelt
        // message/ subtype): RFC 3464 §2 fixes the fields, not every gateway's labelling of them.
        foreach (var e in leaves)
            if (e is { Kind: RawKind.Leaf or RawKind.Text } t && !MessageText.Is(t, "text", "rfc822-headers") && (t.Kind == RawKind.Text || (report && MayHoldFields(t))))
            {
                var text = Fields(t);
                if (MessageText.ContainsIgnoreCase(text, "Final-Recipient:") &&
                    (MessageText.ContainsIgnoreCase(text, "Action:") || MessageText.ContainsIgnoreCase(text, "Status:")))
                    if (Parse(Unindent(text)) is { Count: > 0 } r) return r;
            }
        return null;
    }

    /// <summary>
    /// The part's content, after any report fields that became the part's own MIME header: without the blank line that
    /// ends a body part's header (RFC 2046 §5.1.1), Reporting-MTA, Final-Recipient and the rest are parsed as header fields.
    /// </summary>
    private static string Fields(RawPart p)
    {
        var content = MessageText.Read(p);
        System.Text.StringBuilder? head = null;
        var h = p.Headers;
        for (int i = 0; i < h.Count; i++)
        {
            var field = h.Field(i);
            if (!field.StartsWith("Content-", StringComparison.OrdinalIgnoreCase) && !field.Equals("MIME-Version", StringComparison.OrdinalIgnoreCase))
                (head ??= new()).Append(field).Append(": ").Append(h.Value(i)).Append('\n');
        }
        return head is null ? content : head.Append(content).ToString();
    }

    private static bool MayHoldFields(RawPart p) =>
        MessageText.Is(p, "application", "octet-stream") || p.MediaType.Equals("message", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// A recipient's filter refusing the message and saying so with a disposition notification: the Sieve "reject"
    /// action (RFC 5429 §2.2) sends an MDN whose Disposition is "automatic-action/MDN-sent-automatically; deleted"
    /// (RFC 8098 §3.2.6). Its Final-Recipient is the refusing mailbox; the human part gives the owner's reason.
    /// A read receipt ("displayed", or any manual action) is no refusal.
    /// </summary>
    public static List<RecipientFacts>? Rejections(List<RawPart> leaves, string human)
    {
        foreach (var e in leaves)
            if (e is { Kind: RawKind.Leaf or RawKind.Text } p && MessageText.Is(p, "message", "disposition-notification"))
                foreach (var g in MessageText.FieldGroups(Fields(p)))
                {
                    var disposition = (MessageText.Field(g, "disposition") ?? "").ToLowerInvariant();
                    if (!disposition.Contains("automatic-action", StringComparison.Ordinal) || !disposition.Contains("deleted", StringComparison.Ordinal)) continue;
                    if (MessageText.FirstAddress(AfterType(MessageText.Field(g, "final-recipient") ?? "")) is not { } address) continue;
                    return [new RecipientFacts
                    {
                        Address = address, Action = "failed", Reason = BounceReason.Filtered, ReasonIsVerdict = true,
                        Diagnostic = string.Join(' ', human.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Take(6)),
                    }];
                }
        return null;
    }

    /// <summary>The one Status every recipient group of the message/delivery-status part gives, whatever its recipient field says; else null.</summary>
    public static string? SoleStatus(List<RawPart> leaves)
    {
        string? sole = null;
        foreach (var e in leaves)
            if (e is { Kind: RawKind.Leaf or RawKind.Text } p && MessageText.Is(p, "message", "delivery-status"))
                foreach (var g in MessageText.FieldGroups(MessageText.Read(p)))
                    if (MessageText.Field(g, "status") is { } st && StatusCodes.Find(st) is { } code)
                    {
                        if (sole is not null && sole != code) return null;
                        sole = code;
                    }
        return sole;
    }

    /// <summary>Reports pasted into a text part are often indented; fields must start their line.</summary>
    private static string Unindent(string text)
    {
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var t = lines[i].TrimStart();
            int colon = t.IndexOf(':');
            if (colon > 0 && colon < 30 && MessageText.IsFieldName(t.AsSpan(0, colon))) lines[i] = t;
        }
        return string.Join('\n', lines);
    }

    public static List<RecipientFacts> Parse(string text)
    {
        var list = new List<RecipientFacts>();
        string? reportingMta = null;
        foreach (var g in MessageText.FieldGroups(text))
        {
            if (MessageText.Field(g, "reporting-mta") is { } rm) reportingMta = AfterType(rm);
            var final = MessageText.Field(g, "final-recipient") ?? MessageText.Field(g, "x-actual-recipient");
            var original = MessageText.Field(g, "original-recipient");
            var address = MessageText.FirstAddress(AfterType(final ?? "")) ?? MessageText.FirstAddress(AfterType(original ?? ""));
            if (address is null) continue;
            var f = new RecipientFacts
            {
                Address = address,
                OriginalRecipient = MessageText.FirstAddress(AfterType(original ?? "")),
                Action = (MessageText.Field(g, "action") ?? "").Trim().ToLowerInvariant(),
                ReportingMta = reportingMta,
                RemoteMta = MessageText.Field(g, "remote-mta") is { } r ? AfterType(r) : null,
            };
            int sp = f.Action.IndexOfAny([' ', '(', ';']);
            if (sp > 0) f.Action = f.Action[..sp];
            var diag = MessageText.Field(g, "diagnostic-code") ?? VendorDiagnostic(g) ?? "";
            int semi = diag.IndexOf(';');
            if (semi > 0 && semi < 20) { f.DiagnosticType = diag[..semi].Trim(); diag = diag[(semi + 1)..].Trim(); }
            f.Diagnostic = diag;
            var statusField = MessageText.Field(g, "status");
            f.Status = statusField is null ? null : StatusCodes.Find(statusField);
            var inDiag = StatusCodes.FindRemote(diag);
            // A generic field status (x.0.0) says less than the remote host's own code in the diagnostic.
            // The remote host's own code in the diagnostic is more precise than the reporting MTA's summary,
            // unless it is the generic one.
            f.ReplyCode = StatusCodes.FindReply(diag);
            f.Status = StatusCodes.Prefer(f.Status, inDiag, f.ReplyCode);
            f.Command = TextBounceExtractor.CommandIn(ReasonResolver.Lower(diag));
            // PowerMTA adds its own verdict as a per-recipient field.
            if (MessageText.Field(g, "x-powermta-bouncecategory") is { } cat && Rules.MtaFamilies.PowerMtaCategories.TryGetValue(cat.Trim(), out var verdict))
                (f.Reason, f.ReasonIsVerdict) = (verdict, true);
            list.Add(f);
        }
        return list;
    }

    /// <summary>Per-recipient fields some MTAs write instead of Diagnostic-Code, carrying the remote host's answer or the
    /// network trouble met on the way (Courier's <c>X-Network-Error</c>). Read only when Diagnostic-Code is absent.</summary>
    private static readonly string[] VendorDiagnosticFields = ["x-network-error"];

    private static string? VendorDiagnostic(List<KeyValuePair<string, string>> group)
    {
        foreach (var name in VendorDiagnosticFields)
            if (MessageText.Field(group, name) is { Length: > 0 } v) return v;
        return null;
    }

    private static string AfterType(string v)
    {
        int semi = v.IndexOf(';');
        return (semi >= 0 ? v[(semi + 1)..] : v).Trim();
    }
}

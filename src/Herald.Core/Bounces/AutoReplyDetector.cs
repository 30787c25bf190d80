using Herald.Core.Bounces.Rules;
namespace Herald.Core.Bounces;

/// <summary>
/// Automatic replies (RFC 3834): Auto-Submitted: auto-replied (§5), the de-facto X-Autoreply /
/// X-Autorespond / Precedence: auto_reply headers, and the subjects vacation programs use.
/// Bounces also carry Auto-Submitted (Exim does), so this runs after the bounce extractors.
/// </summary>
internal static class AutoReplyDetector
{
    private static readonly string[] Subjects =
    [
        "auto:", "automatic reply", "auto reply", "auto-reply", "autoreply", "out of office", "out of the office",
        "away until", "on vacation", "abwesenheit",
        // Not a bare "absence": a parent's "Absence - Sam Year 4" to the school office is ordinary mail.
        "absence du bureau", "message d'absence", "notification d'absence", "réponse automatique", "respuesta automática", "自動応答",
        "auto response", "auto-response", "autoresponse",  // Yahoo Mail's vacation response ("Auto Response")
        // Outlook's localised "Automatic reply:" prefixes and common out-of-office subjects.
        "automatische antwort", "risposta automatica", "automatisch antwoord", "resposta automática", "respuesta automatica",
        "fuera de la oficina", "fuori sede", "不在",
    ];

    /// <summary>Whether the subject is one vacation programs write ("Automatic reply:", "Out of Office", …).</summary>
    public static bool HasAutoReplySubject(RawMessage m)
    {
        var subject = (m.Subject ?? "").ToLowerInvariant();
        return Subjects.AnyIn(subject);
    }

    public static bool IsAutoReply(RawMessage m, string lowered)
    {
        var h = m.Headers;
        if (h.Contains("X-Autoreply") || h.Contains("X-Autorespond") || h.Contains("X-Autoresponder")) return true;
        var precedence = h["Precedence"]?.Trim().ToLowerInvariant();
        if (precedence is "auto_reply" or "auto-reply") return true;
        if (h["X-Auto-Response-Suppress"] is not null && h["Auto-Submitted"] is not null) return true;
        if (HasAutoReplySubject(m)) return true;
        var autoSubmitted = h["Auto-Submitted"]?.Trim().ToLowerInvariant() ?? "";
        // Daemons also mark their notices auto-replied (RFC 3834 §5); only a person's mailbox goes on vacation.
        var local = (m.FromAddress ?? "").Split('@')[0].ToLowerInvariant();
        // Nor do role and robot mailboxes (an abuse desk's ticket, a list server's welcome): their notices are not
        // out-of-office replies. A vacation subject above still counts.
        if (Rules.MtaFamilies.BounceSenders.Contains(local) || Rules.MtaFamilies.RoleMailboxes.Contains(local) ||
            Rules.MtaFamilies.IsMachinery(local)) return false;
        if (autoSubmitted.StartsWith("auto-replied", StringComparison.Ordinal)) return true;
        return Rules.ReasonPhrases.Matches(BounceReason.Vacation, lowered) && autoSubmitted.Length > 0;
    }
}

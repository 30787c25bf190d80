using Herald.Core.Bounces.Rules;

namespace Herald.Core.Bounces;

/// <summary>Decides the reason of one recipient from its facts, applying the rule tables in trust order.</summary>
internal static class ReasonResolver
{
    public static BounceReason Resolve(RecipientFacts f)
    {
        if (f.Reason is { } preset && (f.ReasonIsVerdict || !ReasonOrder.Retry.Contains(preset))) return preset;
        if (f.Status is { } st && st.StartsWith("2.", StringComparison.Ordinal)) return BounceReason.Delivered;

        string text = JoinContinuations(Lower(f.Diagnostic));
        if (ProviderRules.Match(f, text) is { } byProvider) return byProvider;

        // A diagnostic code name (Exchange's RESOLVER.*, SMTPSEND.*) is the server's own verdict, more precise than its status.
        if (ReasonPhrases.NamedCode(text) is { } named) return named;
        var byStatus = StatusCodes.ReasonOf(f.Status);
        if (byStatus is { } ruled && f.ReportingMta is { } rm && MtaFamilies.RuleBouncers.Any(p => rm.StartsWith(p, StringComparison.OrdinalIgnoreCase)))
            return ruled == BounceReason.UserUnknown ? BounceReason.Filtered : ruled;
        foreach (var r in ReasonOrder.Primary)
            if (Probe(r, byStatus, text, f)) return r;

        if (f.Reason is { } guessed && guessed != BounceReason.Undefined && guessed != BounceReason.OnHold) return guessed;

        foreach (var r in ReasonOrder.Secondary)
        {
            if (ReasonPhrases.Matches(r, text)) return r;
        }
        // An X-Unix diagnostic is the exit code of the local delivery program: more precise than a system-status code.
        if (f.DiagnosticType?.StartsWith("x-unix", StringComparison.OrdinalIgnoreCase) == true && byStatus is BounceReason.SystemError or null)
            return BounceReason.MailerError;
        if (byStatus is { } s) return s;

        string subject = f.Status is { Length: > 3 } ? f.Status[..3] : "";
        if (subject is "5.6" or "4.6") return BounceReason.ContentError;
        if (subject is "5.7" or "4.7") return BounceReason.SecurityError;
        if (ReasonPhrases.Matches(BounceReason.SyntaxError, text)) return BounceReason.SyntaxError;
        if (f.Action is "delayed" or "expired") return BounceReason.Expired;
        if (f.Command is "EHLO" or "HELO" or "CONN") return BounceReason.Blocked;
        // Sisimai's convention: an error message nothing matched is "onhold"; no error message at all is "undefined".
        return text.Length > 0 && !f.DiagnosticIsReport ? BounceReason.OnHold : BounceReason.Undefined;
    }

    /// <summary>Pass-1 test for one reason: the status code names it, or the wording does (with the guards below).</summary>
    private static bool Probe(BounceReason r, BounceReason? byStatus, string text, RecipientFacts f)
    {
        bool preData = f.Command is "CONN" or "EHLO" or "HELO" or "MAIL" or "RCPT";
        switch (r)
        {
            case BounceReason.UserUnknown:
                if (byStatus == BounceReason.UserUnknown)
                {
                    // 5.1.1 is also sent for relaying refusals, blocks and full mailboxes: let their wording win.
                    foreach (var other in UserUnknownRivals) if (ReasonPhrases.Matches(other, text)) return false;
                    return true;
                }
                if (byStatus == BounceReason.Suspend) return false;
                if (ReasonPhrases.DirectoryMiss.AnyIn(text)) return true;
                // The reporting MTA's own word on its mailbox ("<a@b>... User unknown"), unless its transcript shows the
                // refusal came after DATA: then a remote filter said it, whatever the summary line repeats.
                if (f.LocalVerdict && f.Command != "DATA" && ReasonPhrases.Matches(r, text)) return true;
                // Wording alone counts only at RCPT: "user unknown" after DATA is a filter's verdict (Sisimai reason/userunknown).
                if (f.Command != "RCPT") return false;
                if (ReasonPhrases.Matches(r, text)) return true;
                return ReasonPhrases.GenericUnavailable.AnyIn(text) && !SaysWhyElse(f.Status, text);
            case BounceReason.Filtered:
                if (byStatus == BounceReason.Suspend) return false;
                if (byStatus == BounceReason.Filtered)
                    return ReasonPhrases.Matches(BounceReason.UserUnknown, text) || ReasonPhrases.Matches(r, text);
                // Filters read the message: a refusal before DATA is not a content filter.
                return !preData && (ReasonPhrases.Matches(r, text) || ReasonPhrases.Matches(BounceReason.UserUnknown, text));
            case BounceReason.Rejected:
                if (byStatus == BounceReason.Rejected) return true;
                // X.1.0/X.1.1 say "bad address" without saying whose: the sender wording UserUnknownRivals let through decides.
                if (byStatus is null || byStatus == BounceReason.UserUnknown || ReasonOrder.WeakStatus.Contains(byStatus.Value) || f.Command == "MAIL")
                    return ReasonPhrases.Matches(r, text);
                return false;
            case BounceReason.NotAccept:
                // Null MX wording ("has a Null MX record and does not accept mail") before the DNS wording around it decides;
                // a bare 5.3.2 "not accepting network messages" status still gives way to the wording of pass 1 and 2.
                return ReasonPhrases.Matches(r, text);
            case BounceReason.HostUnknown:
                // A domain without MX (RFC 7505 null MX, or none at all) accepts no mail: notaccept, decided later.
                if (ReasonPhrases.Matches(BounceReason.NotAccept, text)) return false;
                if (byStatus == r) return !ReasonPhrases.Matches(BounceReason.NetworkError, text);
                return ReasonPhrases.Matches(r, text);
            case BounceReason.BadReputation:
                if (byStatus == r) return true;
                // "Blocked using zen.spamhaus.org … sender reputation lookup": the block list is the verdict (as for spam wording).
                return !ReasonPhrases.BlockListNames.AnyIn(text) && ReasonPhrases.Matches(r, text);
            case BounceReason.SpamDetected:
                if (byStatus == r) return true;
                // "Blocked using Spamhaus" names a block list of sending hosts: blocked, whatever "spam" the list's name holds.
                if (ReasonPhrases.BlockListNames.AnyIn(text)) return false;
                return f.Command is not ("CONN" or "EHLO" or "HELO" or "MAIL" or "RCPT") && ReasonPhrases.Matches(r, text);
            case BounceReason.Suspend:
                // X.2.1 ("mailbox disabled") is also what Google and others send while a mailbox receives too fast to take more.
                if (byStatus == r) return !ReasonPhrases.Matches(BounceReason.Speeding, text);
                return ReasonPhrases.Matches(r, text);
            case BounceReason.Blocked:
                if (byStatus == r) return true;
                if (!ReasonPhrases.Matches(r, text)) return false;
                // "Message expired, connection refused" (Exchange 5.4.316): the host refused TCP connections until the queue
                // gave up. The refusal describes the attempts, the expiry is the outcome; a block on the sender needs other words.
                return !ReasonPhrases.ExpiryOutcome.AnyIn(text) || BlockedBeyondRefusal(text);
            case BounceReason.MesgTooBig:
                // 5.2.3 is the mailbox's own size limit (exceedlimit), not the system's.
                return byStatus == r || (byStatus != BounceReason.ExceedLimit && ReasonPhrases.Matches(r, text));
            default:
                return byStatus == r || ReasonPhrases.Matches(r, text);
        }
    }

    /// <summary>Whether an answer in RFC 5321's generic "mailbox unavailable" words says why by other means: an x.7
    /// (security or policy) status, or any other reason's wording ("blocked", "policy reasons", "spam").</summary>
    private static bool SaysWhyElse(string? status, string text)
    {
        if (status is { Length: > 2 } && status[2] == '7') return true;
        foreach (var (reason, _) in ReasonPhrases.Table)
            if (reason is not (BounceReason.UserUnknown or BounceReason.OnHold or BounceReason.Vacation) && ReasonPhrases.Matches(reason, text)) return true;
        return false;
    }

    /// <summary>Whether the text has block wording other than a refused or dropped connection.</summary>
    private static bool BlockedBeyondRefusal(string text)
    {
        foreach (var p in ReasonPhrases.Table[BounceReason.Blocked])
            if (Array.IndexOf(ReasonPhrases.ConnectionRefusals, p.Parts[0]) < 0 && p.IsIn(text)) return true;
        return false;
    }

    private static readonly BounceReason[] UserUnknownRivals =
    [
        BounceReason.NoRelaying, BounceReason.Blocked, BounceReason.MailboxFull, BounceReason.HasMoved,
        BounceReason.Rejected, BounceReason.NotAccept,
    ];

    /// <summary>
    /// A multi-line reply quoted on one line repeats its code at every line ("550-5.7.1 … likely 550-5.7.1 unsolicited
    /// mail … 550 5.7.1 …", RFC 5321 §4.2.1; Gmail breaks its sentences anywhere), which splits the wording the phrase
    /// lists look for. The first line's prefix stays; the repeats of that same code (and enhanced status) are dropped.
    /// </summary>
    internal static string JoinContinuations(string t)
    {
        if (StatusCodes.FindReply(t) is not { } code) return t;
        int at = t.IndexOf(code, StringComparison.Ordinal), k = at + 4;
        if (k > t.Length || t[k - 1] is not ('-' or ' ')) return t;
        bool multiline = t[k - 1] == '-';
        string? status = StatusCodes.Find(t.AsSpan(k)) is { } st && t.AsSpan(k).StartsWith(st) ? st : null;
        // Without an enhanced status only a reply that says it continues ("550-…") is joined: a bare " 550 " may be prose.
        if (status is null && !multiline) return t;
        string tail = status is null ? "" : status + " ";
        string dash = " " + code + "-" + tail, last = " " + code + " " + tail;
        int start = k + (status?.Length ?? 0);
        if (t.IndexOf(dash, start, StringComparison.Ordinal) < 0 && t.IndexOf(last, start, StringComparison.Ordinal) < 0) return t;
        return string.Concat(t.AsSpan(0, start), t[start..].Replace(dash, " ", StringComparison.Ordinal).Replace(last, " ", StringComparison.Ordinal));
    }

    /// <summary>Lowercase with runs of whitespace folded to one space: folded header lines then read as one sentence.</summary>
    internal static string Lower(string s)
    {
        if (s.Length == 0) return s;
        // One pass into a stack or pooled buffer: this runs for every diagnostic and report text.
        char[]? rented = null;
        Span<char> buffer = s.Length <= 1024 ? stackalloc char[s.Length] : (rented = System.Buffers.ArrayPool<char>.Shared.Rent(s.Length));
        int n = 0;
        bool space = false;
        foreach (char c in s)
        {
            if (c <= ' ' ? c is ' ' or '\t' or '\n' or '\r' or '\v' or '\f' : c > 127 && char.IsWhiteSpace(c))
            {
                if (!space && n > 0) buffer[n++] = ' ';
                space = true;
                continue;
            }
            space = false;
            buffer[n++] = c <= 127 ? (char)(c is >= 'A' and <= 'Z' ? c + 32 : c) : char.ToLowerInvariant(c);
        }
        var result = new string(buffer[..n]);
        if (rented is not null) System.Buffers.ArrayPool<char>.Shared.Return(rented);
        return result;
    }
}

using Herald.Core.Bounces.Rules;
using MimeKit;

namespace Herald.Core.Bounces;

/// <summary>
/// Reads one returned message and says what it is and what happened to each recipient.
/// Never throws on message content: unreadable input gives <see cref="MessageKind.NotBounce"/> with
/// <see cref="BounceReport.Error"/> set. Only <see cref="AnalyzeFile"/> throws, and only
/// <see cref="IOException"/>/<see cref="UnauthorizedAccessException"/> when the path cannot be read,
/// so a batch can name the path and go on.
/// </summary>
public static class BounceAnalyzer
{
    public static BounceReport AnalyzeFile(string path) => Analyze(File.ReadAllBytes(path));

    public static BounceReport Analyze(Stream s)
    {
        byte[] bytes;
        try
        {
            using var copy = new MemoryStream();
            s.CopyTo(copy);
            bytes = copy.ToArray();
        }
        catch (Exception e) when (e is IOException or NotSupportedException or ObjectDisposedException) { return BounceReport.NotBounce(error: "unreadable message: " + e.Message); }
        return Analyze(bytes);
    }

    /// <summary>A message already parsed by MimeKit (the bounce mailbox reads it so): analysed from its bytes as written.</summary>
    public static BounceReport Analyze(MimeMessage m)
    {
        using var copy = new MemoryStream();
        try { m.WriteTo(copy); }
        catch (Exception e) when (e is not OutOfMemoryException) { return BounceReport.NotBounce(error: "unreadable message: " + e.Message); }
        return Analyze(copy.ToArray());
    }

    /// <summary>One message's bytes as received (RFC 5322, CRLF or LF line ends).</summary>
    public static BounceReport Analyze(byte[] message)
    {
        try { return AnalyzeCore(RawMessage.Parse(message)); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Defence in depth: a parser quirk on hostile input must cost one message, not the batch.
            return BounceReport.NotBounce(error: "analysis failed: " + e);
        }
    }

    /// <summary>The reason and hard/soft of a synchronous SMTP reply (RFC 5321 §4.2, RFC 3463).</summary>
    public static (BounceReason Reason, bool Hard) ClassifyReply(int replyCode, string? enhancedStatus, string text)
    {
        var f = new RecipientFacts
        {
            Diagnostic = text ?? "",
            ReplyCode = replyCode is >= 200 and < 600 ? replyCode.ToString(System.Globalization.CultureInfo.InvariantCulture) : null,
            Status = enhancedStatus is not null ? StatusCodes.Find(enhancedStatus) : StatusCodes.Find(text ?? ""),
            Action = replyCode is >= 400 and < 500 ? "delayed" : "failed",
        };
        f.Command = TextBounceExtractor.CommandIn(ReasonResolver.Lower(f.Diagnostic));
        if (replyCode is >= 200 and < 300) return (BounceReason.Delivered, false);
        // A 5yz that says the message expired (Exchange's "550 5.4.300 Message expired") is the relay's final word after its
        // queue gave up: expired, as the same answer in a DSN is (both paths go through the same resolver).
        var reason = ReasonResolver.Resolve(f);
        return (reason, HardSoftPolicy.IsHard(reason, f.Status, f.ReplyCode));
    }

    /// <summary>The analysis without the safety net, so tests and the fuzzer see any exception the code lets escape.</summary>
    internal static BounceReport AnalyzeUnguarded(byte[] message) => AnalyzeCore(RawMessage.Parse(message));

    private static BounceReport AnalyzeCore(RawMessage m, int depth = 0)
    {
        var verp = VerpToken(m);
        var leaves = MessageText.Leaves(m);
        var human = MessageText.HumanText(m, leaves);
        var lowered = MessageText.LowerInvariant(human);
        string? originalId = OriginalMessageId(m, leaves, human);

        // A list manager passing on a bounce it received (Mailman's uncaught-bounce and bounce-action notices, ezmlm's
        // warning): the enclosed report is the bounce. The wrapper's own text names the list, its owners and its
        // command addresses, never the failed member (except a "Member:" line, when the enclosed report names nobody).
        // The notice's own text, before any returned copy: only it may say what the message is.
        var ownText = lowered[..TextBounceExtractor.CutAtCopy(human).Length];
        if (depth < 2 && MtaFamilies.EnclosedBounceSentences.AnyIn(ownText))
            return Enclosed(m, leaves, human, verp, depth);

        if (FeedbackExtractor.Extract(m, leaves, lowered) is { Count: > 0 } fb)
            return Report(MessageKind.Complaint, fb, verp, originalId);

        if (SesExtractor.Extract(human) is { } ses && ses.Facts.Count > 0)
            return Report(ses.Kind, ses.Facts, verp, originalId);

        var sentFrom = m.FromAddress;
        var family = MtaFamilies.FamilyOf(lowered);
        if (DsnExtractor.Extract(leaves, human, lowered, IsReport(m)) is { Count: > 0 } dsn)
        {
            EnrichFromText(dsn, human);
            ApplyHeaderHints(m, dsn);
            // OpenSMTPD's Status field is a placeholder: only a code its text quotes from the remote host counts.
            if (family == ReportFamily.OpenSmtpd)
                foreach (var f in dsn) f.Status = StatusCodes.Find(f.Diagnostic);
            return Report(MessageKind.Bounce, dsn, verp, originalId, family);
        }

        if (DsnExtractor.Rejections(leaves, human) is { Count: > 0 } rejected)
            return Report(MessageKind.Bounce, rejected, verp, originalId);

        // A challenge-response request holds the message until the sender proves to be a person: nothing failed. Its own
        // text says so (not a returned copy that happens to mention a guest list), and no failed recipient is listed.
        if (!m.Headers.Contains("X-Failed-Recipients") && MtaFamilies.ChallengeSentences.AnyIn(ownText))
            return BounceReport.NotBounce(verp);

        // An automatic reply from a person's mailbox (RFC 3834) is one even when its wording or an attached original looks
        // like a report: only the mail machinery writes bounces. Not when a bounce names its failed recipients in
        // X-Failed-Recipients, nor when its subject is a bounce's and no vacation program's (a gateway sending reports
        // from an ordinary-looking address with Auto-Submitted set).
        bool fromPerson = sentFrom is not null && !MtaFamilies.IsMachinery(sentFrom) && !m.Headers.Contains("X-Failed-Recipients");
        if (fromPerson && AutoReplyDetector.IsAutoReply(m, lowered) &&
            (AutoReplyDetector.HasAutoReplySubject(m) || !TextBounceExtractor.HasBounceSubject(m)))
            return AutoReply(sentFrom!, verp, originalId);

        bool bounceLike = TextBounceExtractor.LooksLikeBounce(m, leaves, lowered);
        // A person's reply that quotes a report ("Re: …", "> This is the mail system at host …") is ordinary mail: the
        // report's wording must be in the message's own lines, not only in lines quoted with '>'. A forward ("Fwd: …")
        // passes the bounce on and stays one.
        if (bounceLike && fromPerson && IsReply(m) && !MtaFamilies.ReportSentences.AnyIn(Unquoted(lowered))) bounceLike = false;
        // A gateway that wraps the original DSN as message/rfc822 and says nothing itself (TrendMicro and others):
        // the enclosed notification is the report, when the wrapper reads as a bounce or the enclosed message is itself
        // a delivery report by its structure (multipart/report; report-type=delivery-status, RFC 6522). One level only.
        foreach (var e in leaves)
            if (e is { Kind: RawKind.Message, Message: { } inner } && (bounceLike || IsDeliveryReport(inner)))
            {
                var innerLeaves = MessageText.Leaves(inner);
                if (DsnExtractor.Extract(innerLeaves, "", "", IsReport(inner)) is { Count: > 0 } wrapped)
                {
                    EnrichFromText(wrapped, MessageText.HumanText(inner, innerLeaves));
                    return Report(MessageKind.Bounce, wrapped, verp, originalId);
                }
            }
        if (bounceLike)
        {
            var text = TextBounceExtractor.Extract(m, human, sentFrom, OriginalTo(leaves, human));
            if (text.Count > 0)
            {
                ApplyHeaderHints(m, text);
                bool delayed = IsDelay(m, lowered);
                // A delivery-status part whose recipient field was unusable (a file or pipe, Exim's "save to …")
                // still carries the reporting MTA's Status (RFC 3464 §2.3.4): it beats a pseudo code.
                var sole = family == ReportFamily.OpenSmtpd ? null : DsnExtractor.SoleStatus(leaves);
                var notifier = sentFrom is not null && sentFrom.LastIndexOf('@') is var at and >= 0 ? sentFrom[(at + 1)..].ToLowerInvariant() : null;
                foreach (var f in text)
                {
                    if (delayed) f.Action = "delayed";
                    f.Status ??= sole;
                    f.Notifier = notifier;
                }
                return Report(MessageKind.Bounce, text, verp, originalId, family);
            }
        }

        if (!bounceLike && AutoReplyDetector.IsAutoReply(m, lowered)) return AutoReply(sentFrom ?? "", verp, originalId);
        return BounceReport.NotBounce(verp);
    }

    /// <summary>The report a list manager's notice encloses: its attached message, else the text after the line that
    /// introduces it (ezmlm quotes the bounce inline), analysed as a message of its own.</summary>
    private static BounceReport Enclosed(RawMessage m, List<RawPart> leaves, string human, string? verp, int depth)
    {
        BounceReport? inner = null;
        foreach (var e in leaves)
            if (e is { Kind: RawKind.Message, Message: { } attached }) { inner = AnalyzeCore(attached, depth + 1); break; }
        if (inner is null)
        {
            int at = -1;
            var lowered = human.ToLowerInvariant();
            foreach (var sentence in MtaFamilies.EnclosedBounceSentences)
                if (lowered.IndexOf(sentence, StringComparison.Ordinal) is var i and >= 0 && (at < 0 || i > at)) at = i;
            int nl = at < 0 ? -1 : human.IndexOf('\n', at);
            var rest = nl < 0 ? "" : human[(nl + 1)..].TrimStart('\r', '\n', ' ', '\t');
            if (rest.Length > 0) inner = AnalyzeCore(RawMessage.Parse(System.Text.Encoding.UTF8.GetBytes(rest)), depth + 1);
        }
        if (inner is { Kind: MessageKind.Bounce, Recipients.Count: > 0 })
            return inner with { VerpToken = verp ?? inner.VerpToken };
        // The enclosed report named nobody: the list manager's own "Member:" line is its verdict on who bounced. Not when
        // the enclosed message is plainly something else (an out-of-office reply, a complaint, a delivery report the list
        // manager mistook for a bounce), nor when the notice is not the list machinery's (a person's or a no-reply robot's "Member:" line).
        bool other = inner is { Kind: MessageKind.AutoReply or MessageKind.Complaint or MessageKind.DeliveryReport };
        if (other || m.FromAddress is not { } notifier || !MtaFamilies.IsMachinery(notifier))
            return BounceReport.NotBounce(verp);
        foreach (var line in TextBounceExtractor.CutAtCopy(human).Split('\n'))
        {
            var t = line.Trim();
            if (MtaFamilies.ListMemberFields.Any(f => t.StartsWith(f, StringComparison.OrdinalIgnoreCase)) &&
                MessageText.FirstAddress(t) is { } member && !MtaFamilies.IsMachinery(member))
                return Report(MessageKind.Bounce, [new RecipientFacts { Address = member, Action = "failed", Diagnostic = t }], verp, null);
        }
        return BounceReport.NotBounce(verp);
    }

    private static bool IsReply(RawMessage m)
    {
        var subject = (m.Subject ?? "").TrimStart().ToLowerInvariant();
        foreach (var prefix in MtaFamilies.ReplyPrefixes)
            if (subject.StartsWith(prefix, StringComparison.Ordinal)) return true;
        return false;
    }

    /// <summary>The text without the lines quoted with '>' (a reply's quotation; RFC 3676 §4.5).</summary>
    private static string Unquoted(string text)
    {
        if (!text.Contains('>')) return text;
        var sb = new System.Text.StringBuilder(text.Length);
        foreach (var line in text.Split('\n'))
            if (!line.TrimStart().StartsWith('>')) sb.Append(line).Append('\n');
        return sb.ToString();
    }

    private static bool IsDelay(RawMessage m, string lowered)
    {
        var subject = (m.Subject ?? "").ToLowerInvariant();
        return MtaFamilies.DelaySubjects.AnyIn(subject) || MtaFamilies.DelaySentences.AnyIn(lowered);
    }

    private static BounceReport AutoReply(string who, string? verp, string? originalId) =>
        Report(MessageKind.AutoReply, [new RecipientFacts { Address = who, Action = "autoreplied", Reason = BounceReason.Vacation, Diagnostic = "" }], verp, originalId);

    private static bool IsReport(RawMessage m) => m.Body is { Kind: RawKind.Multipart } b && b.Is("multipart", "report");

    private static bool IsDeliveryReport(RawMessage m) =>
        IsReport(m) && m.Body!.Parameter("report-type") is { } type && type.Equals("delivery-status", StringComparison.OrdinalIgnoreCase);

    /// <summary>DSNs whose Diagnostic-Code is missing: the human part often says what the remote host said.</summary>
    private static void EnrichFromText(List<RecipientFacts> facts, string human)
    {
        var report = TextBounceExtractor.CutAtCopy(human);
        if (report.Length > 8000) report = report[..8000];
        // Postfix and others name the refused command only in the human part ("in reply to RCPT TO command").
        foreach (var f in facts)
            if (f.Command is null)
            {
                int at = MessageText.IndexOfIgnoreCase(report, f.Address);
                var near = at >= 0 ? report[at..Math.Min(report.Length, at + 1000)] : report;
                f.Command = TextBounceExtractor.CommandIn(ReasonResolver.Lower(near));
            }
        // A vague field status (x.0.0 "undefined", x.4.7 "expired") while the human part quotes the remote host's own
        // code for this recipient (a Sendmail transcript, an Exchange attempt history): the quoted code is more precise.
        foreach (var f in facts)
        {
            if (f.Status is not { } st || f.Diagnostic.Length == 0) continue;
            bool generic = st.EndsWith(".0.0", StringComparison.Ordinal);
            if (!generic && st is not ("4.4.7" or "5.4.7")) continue;
            if (StatusCodes.Underlying(st, f.Diagnostic) != st || (generic && StatusCodes.Find(f.Diagnostic) is not null)) continue;
            int at = MessageText.IndexOfIgnoreCase(report, f.Address);
            if (at < 0) continue;
            var near = report[at..Math.Min(report.Length, at + 1200)];
            if (generic)
            {
                if (StatusCodes.Find(near) is { } quoted && quoted[0] == st[0] && !quoted.EndsWith(".0.0", StringComparison.Ordinal)) f.Status = quoted;
            }
            else f.Status = StatusCodes.Underlying(st, near);
        }
        if (facts.All(f => f.Diagnostic.Length > 0)) return;
        foreach (var f in facts)
        {
            if (f.Diagnostic.Length > 0) continue;
            int at = MessageText.IndexOfIgnoreCase(report, f.Address);
            var near = at >= 0 ? report[at..Math.Min(report.Length, at + 1200)] : report;
            // The line just above the recipient, when it is a sentence of its own (EZweb/au: "The user(s) account is
            // disabled." over "<a@b>: 550 user unknown"), is the report's verdict on it.
            if (at > 0 && LineAbove(report, at) is { } above) near = above + "\n" + near;
            f.Diagnostic = string.Join(' ', near.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
            f.ReplyCode ??= StatusCodes.FindReply(f.Diagnostic);
            if (f.Status is null || f.Status.EndsWith(".0.0", StringComparison.Ordinal)) f.Status = StatusCodes.Find(f.Diagnostic) ?? f.Status;
            f.Command ??= TextBounceExtractor.CommandIn(ReasonResolver.Lower(f.Diagnostic));
        }
    }

    /// <summary>The first non-empty line above the line holding <paramref name="at"/> (at most two blank lines up), if it is one sentence.</summary>
    private static string? LineAbove(string report, int at)
    {
        int start = report.LastIndexOf('\n', Math.Max(0, at - 1));
        string line = "";
        for (int blank = 0; start > 0 && blank < 3 && line.Length == 0; blank++)
        {
            int prev = report.LastIndexOf('\n', start - 1);
            line = report[(prev + 1)..start].Trim();
            start = prev;
        }
        return line.Length is > 10 and < 200 && line.EndsWith('.') && !line.Contains('@') ? line : null;
    }

    /// <summary>What the reporting gateway's own headers say (see <see cref="MtaFamilies.StageHints"/>).</summary>
    private static void ApplyHeaderHints(RawMessage m, List<RecipientFacts> facts)
    {
        foreach (var (header, contains, command) in MtaFamilies.StageHints)
            if (m.Headers[header] is { } v && MessageText.ContainsIgnoreCase(v, contains))
                foreach (var f in facts) f.Command ??= command;
    }

    private static BounceReport Report(MessageKind kind, List<RecipientFacts> facts, string? verp, string? originalId, ReportFamily family = ReportFamily.Other)
    {
        var list = new List<BouncedRecipient>(facts.Count);
        foreach (var f in facts)
        {
            var reason = ReasonResolver.Resolve(f);
            var status = f.Status;
            bool temporary = false; // the report gave no code but called the failure temporary
            if (status is null && kind == MessageKind.Bounce)
            {
                // The community's pseudo codes are permanent unless the remote host's reply was a 4yz or the
                // text calls the failure temporary/persistent (Sisimai smtp/failure IsTemporary).
                bool reply4 = f.ReplyCode?.StartsWith('4') ?? false;
                temporary = family switch
                {
                    ReportFamily.OpenSmtpd => false,
                    ReportFamily.Exim => reply4 || reason is BounceReason.Expired or BounceReason.MailboxFull,
                    _ => reply4 || MessageText.ContainsIgnoreCase(f.Diagnostic, " temporar") ||
                         MessageText.ContainsIgnoreCase(f.Diagnostic, " persistent"),
                };
                // Exim: a refusal after MAIL FROM is coded as "onhold" whatever the wording decides (see ReportFamily).
                var coded = family == ReportFamily.Exim && f.Command == "MAIL" ? BounceReason.OnHold : reason;
                status = StatusCodes.PseudoCode(coded, temporary) ?? StatusCodes.PseudoCode(coded, false);
            }
            status = StatusCodes.Underlying(status, f.Diagnostic);
            var action = f.Action.Length > 0 ? f.Action : reason switch
            {
                BounceReason.Feedback => "feedback",
                BounceReason.Delivered => "delivered",
                _ => "failed",
            };
            list.Add(new BouncedRecipient(f.Address, action, status, f.ReplyCode, reason,
                HardSoftPolicy.IsHard(reason, status, f.ReplyCode, action, StatusCodes.FirstTemporary(f.Diagnostic), temporary),
                f.Diagnostic.Length > 0 ? f.Diagnostic : null,
                f.RemoteMta, f.FeedbackType, f.OriginalRecipient, f.Command));
        }
        if (kind == MessageKind.Bounce && list.Count > 0 && list.All(r => r.Reason == BounceReason.Delivered)) kind = MessageKind.DeliveryReport;
        return new BounceReport(kind, list, verp, originalId, facts.FirstOrDefault()?.ReportingMta);
    }

    /// <summary>The local part after <c>bounces+</c> of the address the bounce was sent to (VERP return path).</summary>
    private static readonly string[] VerpHeaders = ["Delivered-To", "X-Original-To", "Envelope-To", "To", "Return-Path"];

    internal static string? VerpToken(RawMessage m)
    {
        var headers = m.Headers;
        foreach (var name in VerpHeaders)
            for (int h = 0; h < headers.Count; h++)
            {
                if (!headers.FieldIs(h, name)) continue;
                var v = headers.Value(h);
                int i = v.IndexOf("bounces+", StringComparison.OrdinalIgnoreCase);
                if (i < 0) i = v.IndexOf("bounce+", StringComparison.OrdinalIgnoreCase);
                if (i < 0) continue;
                int start = v.IndexOf('+', i) + 1, at = v.IndexOf('@', start);
                if (at > start) return v[start..at];
            }
        return null;
    }

    /// <summary>
    /// The addressee of the returned copy, for reports that never name the failed recipient (old Sendmail, some
    /// carriers). The copy is the one place a report's own text does not vouch for, so it answers only when it cannot
    /// point at a bystander: addressed to exactly one address (To and Cc together), and not distributed by a mailing
    /// list (List-Id, RFC 2919; List-Post, RFC 2369; Precedence: list), whose To is the list, not the member.
    /// </summary>
    private static string? OriginalTo(List<RawPart> leaves, string human)
    {
        if (CopyHeaders(leaves, human) is not { } fields) return null;
        var addressees = new List<string>();
        foreach (var (name, value) in fields)
        {
            if (name is "list-id" or "list-post" || (name == "precedence" && value.Trim().Equals("list", StringComparison.OrdinalIgnoreCase))) return null;
            if (name is "to" or "cc")
                foreach (var part in value.Split(','))
                    if (MessageText.FirstAddress(part) is { } a) addressees.Add(a);
        }
        return addressees.Count == 1 ? addressees[0] : null;
    }

    /// <summary>The header fields of the returned copy: an attached message/rfc822 or text/rfc822-headers, else the
    /// first field block after the report text.</summary>
    private static List<(string Name, string Value)>? CopyHeaders(List<RawPart> leaves, string human)
    {
        foreach (var e in leaves)
        {
            if (e is { Kind: RawKind.Message, Message: { } inner })
            {
                var list = new List<(string, string)>(inner.Headers.Count);
                for (int h = 0; h < inner.Headers.Count; h++) list.Add((inner.Headers.Field(h).ToLowerInvariant(), inner.Headers.Value(h)));
                return list;
            }
            if (e.Kind == RawKind.Text && MessageText.Is(e, "text", "rfc822-headers"))
                return MessageText.FieldGroups(MessageText.Read(e)).FirstOrDefault()?.Select(kv => (kv.Key, kv.Value)).ToList();
        }
        var copy = human[TextBounceExtractor.CutAtCopy(human).Length..];
        if (copy.Length == 0) return null;
        var block = MessageText.FieldGroups(copy).FirstOrDefault(g => MessageText.Field(g, "to") is not null);
        return block?.Select(kv => (kv.Key, kv.Value)).ToList();
    }

    private static string? OriginalMessageId(RawMessage m, List<RawPart> leaves, string human)
    {
        foreach (var e in leaves)
        {
            if (e is { Kind: RawKind.Message } mp && mp.Message?.MessageId is { Length: > 0 } id) return id;
            if (e.Kind == RawKind.Text && MessageText.Is(e, "text", "rfc822-headers"))
                foreach (var g in MessageText.FieldGroups(MessageText.Read(e)))
                    if (MessageText.Field(g, "message-id") is { } mid) return mid.Trim().Trim('<', '>');
        }
        var copy = human.Length > 0 ? human[TextBounceExtractor.CutAtCopy(human).Length..] : "";
        int at = MessageText.IndexOfIgnoreCase(copy, "\nMessage-ID:");
        if (at >= 0)
        {
            int end = copy.IndexOf('\n', at + 1);
            return copy[(at + 12)..(end < 0 ? copy.Length : end)].Trim().Trim('<', '>');
        }
        return null;
    }
}

using Herald.Core.Bounces.Rules;

namespace Herald.Core.Bounces;

/// <summary>
/// Non-standard bounces (qmail, Exim, Sendmail, DragonFly, Yahoo, Domino, …): the report text says which
/// recipients failed on lines of their own, followed by the remote host's answer. The shapes are shared,
/// the wording is in <see cref="MtaFamilies"/>.
/// </summary>
internal static class TextBounceExtractor
{
    /// <summary>
    /// Whether headers or text say "bounce report". Required before any text is read as one.
    /// <para>An MTA's template sentence (<see cref="MtaFamilies.ReportSentences"/>) counts beside a bounce subject, a mail
    /// daemon's sender or a returned copy. Wording people write too (<see cref="MtaFamilies.GenericReportSentences"/>:
    /// "the error message said", "was undeliverable") counts only beside what the mail machinery alone produces: a mail
    /// daemon's sender or a null From, a returned copy as a MIME part (message/rfc822, text/rfc822-headers), a delivery
    /// report's structure (multipart/report). A bounce subject is words as well: a parent's "Re: Undelivered Mail Returned
    /// to Sender" or a newsletter's "Delivery report" carries one, and with generic prose beside it the addresses alone on
    /// their lines would come out as failed recipients.</para>
    /// </summary>
    public static bool LooksLikeBounce(RawMessage m, List<RawPart> leaves, string lowered)
    {
        var from = m.FromAddress ?? m.Headers["From"] ?? "";
        var local = from.Split('@')[0].Trim('<', '>', ' ', '"').ToLowerInvariant();
        // Daemon names are written with '-', '_' or '.' between their words (MAILER-DAEMON, Mailer_Daemon, mail.delivery.system).
        bool sender = MtaFamilies.BounceSenders.Any(s => Squash(local) == Squash(s) || local.StartsWith(s + "-", StringComparison.Ordinal)) || from.Trim() == "<>" ;
        bool subj = HasBounceSubject(m);
        bool failed = m.Headers.Contains("X-Failed-Recipients");
        bool template = MtaFamilies.ReportSentences.AnyIn(lowered);
        bool returnsCopy = m.Body is { Kind: RawKind.Multipart } && leaves.Any(p => p.Kind == RawKind.Message || p.Is("text", "rfc822-headers"));
        bool machineMade = sender || returnsCopy || m.Body is { Kind: RawKind.Multipart } b && b.Is("multipart", "report");
        return failed || (template && (sender || subj || returnsCopy)) || (sender && subj) ||
               (machineMade && MtaFamilies.GenericReportSentences.AnyIn(lowered));
    }

    /// <summary>Header fields of the notice itself naming its own machinery (RFC 5321 Return-Path, RFC 2369 list commands).</summary>
    private static readonly string[] OwnFields = ["Return-Path", "Sender", "List-Subscribe", "List-Unsubscribe", "List-Help", "List-Owner"];

    /// <summary>Whether the notice comes from a mailing list manager: a list header of its own (RFC 2369, RFC 2919, fml's
    /// X-MLServer, ezmlm's Mailing-List) or a list machinery sender. Only then are its "-ctl", "-admin", "-help" addresses
    /// the list's commands; from anyone else they may be a member's mailbox.</summary>
    private static bool ListNotice(RawMessage m, string? sentFrom)
    {
        foreach (var field in ListFields) if (m.Headers.Contains(field)) return true;
        return sentFrom is not null && (MtaFamilies.IsMachinery(sentFrom) || MtaFamilies.IsListCommand(sentFrom));
    }

    private static readonly string[] ListFields = ["List-Id", "List-Subscribe", "List-Unsubscribe", "List-Help", "Mailing-List", "X-MLServer", "X-ML-Name"];

    /// <summary>
    /// Whether the address at <paramref name="i"/> is where the report's prose tells the reader to write: the unfinished
    /// sentence before it, on its own line or, when the address starts its line, on the line above, asks the reader to
    /// contact, write or send to it (<see cref="MtaFamilies.ContactWords"/>). A finished sentence above (an Exchange
    /// recipient's "please contact your helpdesk." over the next recipient) asks nothing of the address below.
    /// </summary>
    private static bool AddressedToReader(string[] lines, int i, string addr)
    {
        var line = lines[i];
        int at = line.IndexOf(addr, StringComparison.OrdinalIgnoreCase);
        if (at < 0) return false;
        var before = line[..at].TrimEnd('<', ' ', '\t', '"', '(');
        if (before.Trim().Length == 0)
        {
            for (int j = i - 1; j >= 0 && j >= i - 3; j--)
                if (lines[j].Trim().Length > 0) { before = lines[j]; break; }
        }
        var t = before.Trim().ToLowerInvariant();
        if (t.Length == 0 || t[^1] == '.') return false;
        // Only the sentence the address completes: text after its last full stop.
        int stop = t.LastIndexOf(". ", StringComparison.Ordinal);
        if (stop >= 0) t = t[(stop + 2)..];
        return MtaFamilies.ContactWords.AnyIn(t);
    }

    private static string Squash(string name) => name.Replace("-", "").Replace("_", "").Replace(".", "");

    /// <summary>Whether the subject is one bounces use (<see cref="MtaFamilies.BounceSubjects"/>).</summary>
    public static bool HasBounceSubject(RawMessage m)
    {
        var subject = (m.Subject ?? "").ToLowerInvariant();
        if (MtaFamilies.BounceSubjects.AnyIn(subject)) return true;
        var t = subject.Trim().TrimEnd('.', '!', ' ');
        foreach (var word in MtaFamilies.NoticeSubjectWords)
            if ((t.EndsWith(" " + word, StringComparison.Ordinal) || t.StartsWith(word + ":", StringComparison.Ordinal)) && FromRobot(m)) return true;
        return false;
    }

    /// <summary>Whether the message comes from the mail or list machinery or a robot mailbox (no-reply, a list server):
    /// the only senders whose subject's ordinary words (<see cref="MtaFamilies.NoticeSubjectWords"/>) are a notice's.</summary>
    private static bool FromRobot(RawMessage m)
    {
        var from = m.FromAddress ?? m.Headers["From"] ?? "";
        var local = from.Split('@')[0].Trim('<', '>', ' ', '"').ToLowerInvariant();
        return local.Length == 0 || from.Trim() == "<>" || MtaFamilies.IsMachinery(local) || MtaFamilies.RoleMailboxes.Contains(local) ||
               MtaFamilies.BounceSenders.Any(s => local.StartsWith(s + "-", StringComparison.Ordinal));
    }

    public static List<RecipientFacts> Extract(RawMessage m, string human, string? sentFrom, string? originalTo)
    {
        var report = CutAtCopy(human);
        var lines = report.Split('\n');
        var exclude = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        // The bounce's own sender (the daemon) is never a failed recipient; its To may be (a bounce of a message to oneself).
        if (sentFrom is not null) exclude.Add(sentFrom);
        // The notice's own envelope sender and the list commands its own RFC 2369 fields name (fml's "List-Subscribe:
        // <mailto:list-ctl@…>") are the machinery that wrote it, whatever its text says about them.
        foreach (var field in OwnFields)
            if (m.Headers[field] is { } v && MessageText.FirstAddress(v.Replace("mailto:", " ", StringComparison.OrdinalIgnoreCase)) is { } own) exclude.Add(own);
        bool listNotice = ListNotice(m, sentFrom);

        // Recipient lines in order, each with the line index where it was named.
        var found = new List<(string Address, int Line, string Tail)>();
        var boundaries = new List<int>(); // lines that start with a recipient, repeats included: each ends the diagnostic before it
        var weak = new List<(string Address, int Line, string Tail)>();
        var verdictLines = new HashSet<int>(); // "Unknown user: a@b", "a@b (user not found)": the report's own verdict on that recipient
        for (int i = 0; i < lines.Length; i++)
        {
            var (addr, rest, ownVerdict, quotedTo) = RecipientOnLine(lines[i].Trim());
            if (addr is null || exclude.Contains(addr) || MtaFamilies.IsMachinery(addr)) continue;
            if (listNotice && MtaFamilies.IsListCommand(addr)) continue;
            // "please contact a@b", "send 'guide' to a@b", "write to the list owner:" over an address alone on its line: the
            // report tells the reader where to write, it names no failed recipient there.
            if (AddressedToReader(lines, i, addr)) continue;
            // "To: a@b" in a summary of the original message ("Your message To: … did not reach …") only
            // names a recipient when nothing better does.
            if (quotedTo || lines[i].TrimStart().StartsWith("to:", StringComparison.OrdinalIgnoreCase))
            {
                if (!weak.Any(x => x.Address.Equals(addr, StringComparison.OrdinalIgnoreCase))) weak.Add((addr, i, rest));
                continue;
            }
            var startsWith = lines[i].TrimStart().TrimStart('<', '*', '-', ' ');
            // Only an address alone on its line starts a new entry; "<a@b>: User unknown" continues the one before.
            if (rest.Length == 0 && startsWith.StartsWith(addr, StringComparison.OrdinalIgnoreCase)) boundaries.Add(i);
            if (found.Any(x => x.Address.Equals(addr, StringComparison.OrdinalIgnoreCase))) continue;
            found.Add((addr, i, rest));
            if (ownVerdict && StatusCodes.FindReply(rest) is null && StatusCodes.Find(rest) is null) verdictLines.Add(i);
        }
        if (found.Count == 0) found = weak;
        // X-Failed-Recipients (Exim, Gmail) lists exactly the failed recipients: it beats any guess from the text.
        var failedHeader = m.Headers["X-Failed-Recipients"];
        if (failedHeader is not null)
        {
            var listed = new List<(string, int, string)>();
            foreach (var a in failedHeader.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                if (MessageText.FirstAddress(a) is { } fa && !listed.Any(x => x.Item1.Equals(fa, StringComparison.OrdinalIgnoreCase)))
                {
                    var inText = found.FirstOrDefault(x => x.Address.Equals(fa, StringComparison.OrdinalIgnoreCase));
                    listed.Add(inText.Address is null ? (fa, -1, "") : inText);
                }
            if (listed.Count > 0) found = listed;
        }
        // Reports that never name the recipient (old Sendmail, some carriers): the returned message's To says who it was.
        if (found.Count == 0 && originalTo is not null) found.Add((originalTo, -1, ""));

        var result = new List<RecipientFacts>();
        for (int k = 0; k < found.Count; k++)
        {
            var (addr, line, rest) = found[k];
            int end = k + 1 < found.Count ? found[k + 1].Line : lines.Length;
            foreach (var b in boundaries) if (line >= 0 && b > line && b < end) { end = b; break; }
            // The next recipient's own heading sentence (EZweb's reason line above each address) is not this one's diagnostic.
            if (k + 1 < found.Count && line >= 0 && end > line + 1 && SentenceAboveAt(lines, end) is { } head && head > line) end = head;
            string diag;
            bool whole = false;
            if (line < 0) { diag = Diagnostic(lines, 0, lines.Length); whole = true; }
            else if (IsTranscriptVerdict(lines[line]))
            {
                // Sendmail transcript: "554 <a@b>... Remote protocol error" is the verdict; the SMTP exchange that
                // led to it (">>> MAIL From:", "<<< 550 Insecure Mail Relay") is the block just above it.
                int top = line;
                while (top > 0 && lines[top - 1].TrimStart().StartsWith(">>>", StringComparison.Ordinal) || top > 0 && lines[top - 1].TrimStart().StartsWith("<<<", StringComparison.Ordinal)) top--;
                diag = Diagnostic(lines, top, line + 1);
            }
            else if (rest.Length > 0 && k + 1 >= found.Count && line + 1 >= lines.Length) diag = rest;
            else
            {
                diag = (rest + " " + Diagnostic(lines, line + 1, Math.Max(end, line + 1))).Trim();
                if (StatusCodes.FindReply(diag) is null && StatusCodes.Find(diag) is null)
                {
                    // Sendmail-style: addresses first, then the session transcript for all of them.
                    int tail = found[^1].Line + 1;
                    var more = Diagnostic(lines, tail, lines.Length);
                    if (more.Length > 0 && (StatusCodes.FindReply(more) is not null || StatusCodes.Find(more) is not null)) diag = (diag + " " + more).Trim();
                    // One recipient and the answer is elsewhere in the report (Verizon puts it above): the report is the diagnostic.
                    else if (found.Count == 1) { diag = (diag + " " + Diagnostic(lines, 0, lines.Length)).Trim(); whole = true; }
                }
            }
            var lowered = ReasonResolver.Lower(diag);
            var f = new RecipientFacts
            {
                Address = addr,
                Action = "failed",
                Diagnostic = diag,
                Status = StatusCodes.Find(diag),
                ReplyCode = StatusCodes.FindReply(diag),
                Command = CommandIn(lowered) ?? (line >= 0 ? CommandIn(ReasonResolver.Lower(lines[line])) : null),
                RemoteMta = RemoteHost(diag),
                DiagnosticIsReport = whole,
                // Its own word on its own mailbox only while it quotes no remote host ("<<< 550 …", "while talking to …"):
                // a summary line repeating a remote filter's answer is that filter's verdict.
                LocalVerdict = line >= 0 && verdictLines.Contains(line) && !RemoteQuotes.AnyIn(lowered),
            };
            // The recipient's own lines say nothing a rule can read ("<a@b>", a bare or vague code): a sentence of its own just
            // above the recipient (EZweb/au's "The user(s) account is disabled." over "<a@b>: 550 …") is the report's verdict
            // on it, as EnrichFromText reads it for DSNs.
            // Only when the sentence decides something (a report's introduction above its first recipient says nothing).
            if (line > 0 && !whole && SentenceAbove(lines, line) is { } above && Undecided(f))
            {
                var own = f.Diagnostic;
                f.Diagnostic = (above + " " + own).TrimEnd();
                if (Undecided(f)) f.Diagnostic = own;
            }
            result.Add(f);
        }
        return result;
    }

    /// <summary>Whether the recipient's own lines leave its reason open (onhold or undefined).</summary>
    private static bool Undecided(RecipientFacts f) => ReasonResolver.Resolve(f) is BounceReason.OnHold or BounceReason.Undefined;

    /// <summary>The first non-empty line above <paramref name="line"/> (at most two blank lines up), if it is one sentence
    /// naming no address.</summary>
    private static string? SentenceAbove(string[] lines, int line) => SentenceAboveAt(lines, line) is { } i ? lines[i].Trim() : null;

    /// <summary>The index of the line <see cref="SentenceAbove"/> returns, or null.</summary>
    private static int? SentenceAboveAt(string[] lines, int line)
    {
        for (int i = line - 1; i >= 0 && i >= line - 3; i--)
        {
            var t = lines[i].AsSpan().Trim();
            if (t.Length == 0) continue;
            // A paragraph of its own (a blank line above it): not the last line of the block before (qmail's "Giving up on …").
            bool alone = i == 0 || lines[i - 1].AsSpan().Trim().Length == 0;
            if (!(alone && t.Length is > 10 and < 200 && t[^1] == '.' && !t.Contains('@'))) return null;
            // Nor the reason written below a recipient alone on its line, a blank line apart ("<a@b>:", "", "Host not found."):
            // that sentence is the recipient's above it, never the next one's.
            for (int j = i - 1; j >= 0; j--)
                if (lines[j].AsSpan().Trim().Length > 0) return RecipientOnLine(lines[j].Trim()) is { Address: not null, Tail.Length: 0 } ? null : i;
            return i;
        }
        return null;
    }

    /// <summary>Wording of a report that quotes the remote host's answer (Sendmail's transcript, Postfix's and Exim's "said:").</summary>
    private static readonly string[] RemoteQuotes = ["<<< ", "while talking to", " said:"];

    private static bool IsTranscriptVerdict(string line)
    {
        var t = line.TrimStart();
        return t.Length > 5 && t[0] is '4' or '5' && char.IsAsciiDigit(t[1]) && char.IsAsciiDigit(t[2]) && t[3] == ' ' && t[4] == '<';
    }

    /// <summary>The report text before the returned copy of the message.</summary>
    public static string CutAtCopy(string text)
    {
        // Asked several times per message (report text, challenge wording, copy headers, original Message-ID): the last
        // answer is kept per thread, keyed by the very string instance.
        if (ReferenceEquals(text, lastCutInput) && lastCut is not null) return lastCut;
        lastCut = Cut(text);
        lastCutInput = text;
        return lastCut;
    }

    [ThreadStatic] private static string? lastCutInput;
    [ThreadStatic] private static string? lastCut;

    private static string Cut(string text)
    {
        int pos = 0;
        while (pos < text.Length)
        {
            int nl = text.IndexOf('\n', pos);
            int end = nl < 0 ? text.Length : nl;
            var line = text.AsSpan(pos, end - pos).Trim();
            // A person forwarding a report ("---------- Forwarded message ---------") quotes the report's own header block
            // above it: that block is the report's, not the returned message's, and the report follows it.
            if (StartsWithAny(line, MtaFamilies.ForwardStarts) && nl >= 0)
            {
                int blank = text.IndexOf("\n\n", nl, StringComparison.Ordinal), crlf = text.IndexOf("\n\r\n", nl, StringComparison.Ordinal);
                int next = blank < 0 ? crlf : crlf < 0 ? blank : Math.Min(blank, crlf);
                if (next < 0) break;
                pos = next + 1;
                continue;
            }
            foreach (var marker in MtaFamilies.CopyStarts)
            {
                if (line.StartsWith(marker, StringComparison.OrdinalIgnoreCase)) return text[..pos];
                // A marker that introduces what follows (it ends with a colon: fml's "Original mail as follows:") may also end
                // the line of the MTA's fixed sentence ("You are not a member of this mailing list <…>. Original mail as
                // follows:"): the sentence is the report, the copy starts on the next line.
                if (marker[^1] == ':' && line.EndsWith(marker, StringComparison.OrdinalIgnoreCase)) return text[..end];
            }
            if (HeaderBlockAt(text, pos)) return text[..pos];
            if (nl < 0) break;
            pos = nl + 1;
        }
        return text;
    }

    private static bool StartsWithAny(ReadOnlySpan<char> line, string[] starts)
    {
        foreach (var st in starts) if (line.StartsWith(st, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    /// <summary>
    /// Whether a returned message's own header block starts at <paramref name="pos"/> with no marker before it: three or
    /// more field lines at the left margin (RFC 5322 §2.2, continuation lines allowed), among them From and a field only
    /// a message carries (Received, Return-Path, Message-ID, Date, MIME-Version). A report's summary of the message
    /// ("To: … Subject: … Sent: …", usually indented) has none of the latter. Everything below is the copy, whose
    /// addresses are never failed recipients.
    /// </summary>
    private static bool HeaderBlockAt(string text, int pos)
    {
        int fields = 0;
        bool from = false, messageOnly = false;
        while (pos < text.Length && fields < 12)
        {
            int nl = text.IndexOf('\n', pos);
            var line = text.AsSpan(pos, (nl < 0 ? text.Length : nl) - pos).TrimEnd('\r');
            if (line.Length == 0) break;
            if (line[0] is ' ' or '\t') { if (fields == 0) return false; }
            else
            {
                int colon = line.IndexOf(':');
                if (colon <= 0 || !MessageText.IsFieldName(line[..colon])) break;
                var name = line[..colon];
                fields++;
                if (name.Equals("from", StringComparison.OrdinalIgnoreCase)) from = true;
                foreach (var f in MessageOnlyFields)
                    if (name.Equals(f, StringComparison.OrdinalIgnoreCase)) messageOnly = true;
            }
            if (nl < 0) break;
            pos = nl + 1;
        }
        return fields >= 3 && from && messageOnly;
    }

    private static readonly string[] MessageOnlyFields = ["received", "return-path", "message-id", "date", "mime-version"];

    private static readonly string[] Introducers =
    [
        "delivering your mail to ", "rcpt to:", "rcpt to: ", "recipient: ", "to: ", "address: ", "following recipient: ",
        "could not be delivered to", "delivered to:", "not delivered to", "rejected recipient ", "recipient ", "mailing list ", "original-recipient: ", "deliver to ", "to ",
    ];

    /// <summary>An address standing where reports put failed recipients: alone on its line (with &lt;&gt;, colon, bullets) or after an introducer.</summary>
    /// <returns>The address, the rest of the line, and whether the line carries the report's own word on that recipient:
    /// "verdict: address" (IMail's "Unknown user: a@b") or "address (verdict)" (GroupWise's "a@b (user not found)").</returns>
    private static (string? Address, string Tail, bool OwnVerdict, bool Weak) RecipientOnLine(string line)
    {
        if (line.Length == 0 || !line.Contains('@')) return (null, "", false, false);
        var s = line.TrimStart('*', '>', '-', ' ', '\t', '•', '"', '\'');
        var lower = s.ToLowerInvariant();
        if (lower.StartsWith("from", StringComparison.Ordinal) || lower.StartsWith("mail from", StringComparison.Ordinal) ||
            lower.StartsWith("return-path", StringComparison.Ordinal) || lower.StartsWith("reply-to", StringComparison.Ordinal) ||
            lower.StartsWith("sender", StringComparison.Ordinal) || lower.StartsWith("message-id", StringComparison.Ordinal)) return (null, "", false, false);
        // Sendmail transcripts: "554 <user@example.org>... 550 Host unknown" names the recipient after the reply code.
        if (s.Length > 5 && char.IsAsciiDigit(s[0]) && char.IsAsciiDigit(s[1]) && char.IsAsciiDigit(s[2]) && s[3] == ' ' && s[4] == '<' && s[0] is '4' or '5')
        {
            var inner = MessageText.FirstAddress(s[4..Math.Max(4, s.IndexOf('>'))]);
            if (inner is not null) return (inner, s, false, false);
        }
        var bare = s.TrimStart('<', '(', '[');
        int k = 0;
        while (k < bare.Length && MessageText.IsAddrChar(bare[k])) k++;
        if (k < bare.Length && bare[k] == '@')
        {
            int e = k + 1;
            while (e < bare.Length && MessageText.IsAddrChar(bare[e])) e++;
            var addr = MessageText.FirstAddress(bare[..e]);
            if (addr is not null)
            {
                var rest = bare[e..].TrimStart('>', ')', ']', ':', ' ', ',', ';', '.').Trim();
                // "user@host ... said:" style lines are diagnostics that start with an address; an address followed by
                // a long sentence is still the recipient (x1, zoho, biglobe shapes).
                if (rest.StartsWith("<", StringComparison.Ordinal) && MessageText.FirstAddress(rest) is { } same && same.Equals(addr, StringComparison.OrdinalIgnoreCase))
                    rest = rest[(rest.IndexOf('>') + 1)..].Trim();
                bool parenthesised = bare[e..].TrimStart('>', ' ').StartsWith('(') && rest.EndsWith(')');
                // "<a@b> ... unknown user" (Sendmail's local mailer, T-Online): the reporting MTA's word on its own mailbox,
                // when no reply code follows (checked by the caller).
                bool ellipsis = bare[e..].TrimStart('>', ' ').StartsWith("...", StringComparison.Ordinal);
                return (addr, rest, parenthesised || ellipsis, false);
            }
        }
        // "User mailbox exceeds allowed size: user@example.jp" (IMail): the line is the diagnostic, the address ends it.
        int lastColon = s.LastIndexOf(": ", StringComparison.Ordinal);
        if (lastColon > 0 && MessageText.FirstAddress(s[(lastColon + 2)..]) is { } tailAddr && s[(lastColon + 2)..].Trim().Trim('<', '>') == tailAddr
            && !lower.StartsWith("to:", StringComparison.Ordinal) && !lower.StartsWith("cc:", StringComparison.Ordinal))
        {
            // "… *  From: a@b", "… *  To: a@b" in a logged session (MDaemon's timestamped transcript lists the message's
            // header fields): a header field of the message, not a verdict; the transcript's RCPT TO names the recipient,
            // and a logged To only when nothing else does (a delay warning that never reached RCPT). Only a field name
            // standing after a log prefix or a bullet, not after a word ("RCPT TO:", "delivered to:").
            if (QuotedField(s.AsSpan(0, lastColon)) is { } field)
                return field is "to" or "cc" or "bcc" or "resent-to" ? (tailAddr, "", false, true) : (null, "", false, false);
            return (tailAddr, s[..lastColon], true, false);
        }
        foreach (var intro in Introducers)
        {
            int at = lower.IndexOf(intro, StringComparison.Ordinal);
            if (at < 0) continue;
            if (intro == "to " && at > 0 && !lower[..at].TrimEnd().EndsWith("mail", StringComparison.Ordinal) && !lower[..at].TrimEnd().EndsWith("message", StringComparison.Ordinal) && !lower[..at].TrimEnd().EndsWith("delivered", StringComparison.Ordinal)) continue;
            if (intro is "recipient " or "mailing list " && !lower[(at + intro.Length)..].TrimStart().StartsWith("<", StringComparison.Ordinal)) continue;
            var after = s[(at + intro.Length)..].TrimStart(' ', ':', '\t');
            if (!(after.StartsWith('<') || (after.Length > 0 && MessageText.IsAddrChar(after[0])))) continue;
            var addr = MessageText.FirstAddress(after.Length > 200 ? after[..200] : after);
            if (addr is null) continue;
            int close = after.IndexOf(addr, StringComparison.Ordinal) + addr.Length;
            var rest = close <= after.Length ? after[close..].TrimStart('>', ':', '.', ' ', ')').Trim() : "";
            return (addr, rest, false, false);
        }
        return (null, "", false, false);
    }

    /// <summary>Header fields of a message (RFC 5322 §3.6) that name its sender, addressees or identity.</summary>
    private static readonly string[] MessageFields = ["from", "to", "cc", "bcc", "sender", "reply-to", "return-path", "message-id", "resent-from", "resent-to"];

    /// <summary>The message header field name (<see cref="MessageFields"/>) that text ending before a colon ends in, when no
    /// word precedes it: "10:00:01.101: *  To", "-->  From", but not "RCPT TO" or "could not be delivered to"; else null.</summary>
    private static string? QuotedField(ReadOnlySpan<char> s)
    {
        s = s.TrimEnd();
        int i = s.Length;
        while (i > 0 && !char.IsWhiteSpace(s[i - 1]) && s[i - 1] != '*') i--;
        var name = s[i..];
        string? known = null;
        foreach (var f in MessageFields) if (name.Equals(f, StringComparison.OrdinalIgnoreCase)) { known = f; break; }
        if (known is null) return null;
        var before = s[..i].TrimEnd().TrimEnd('*').TrimEnd();
        int j = before.Length;
        while (j > 0 && !char.IsWhiteSpace(before[j - 1])) j--;
        return before[j..].ContainsAnyInRange('A', 'Z') || before[j..].ContainsAnyInRange('a', 'z') ? null : known;
    }

    private static string Diagnostic(string[] lines, int from, int to)
    {
        var sb = new System.Text.StringBuilder();
        for (int i = from; i < to && i < lines.Length && sb.Length < 4000; i++)
        {
            var l = lines[i].Trim();
            if (l.Length == 0) continue;
            if (l.StartsWith("-----", StringComparison.Ordinal) || l.StartsWith("=====", StringComparison.Ordinal) || l.StartsWith("####", StringComparison.Ordinal)) continue;
            if (sb.Length > 0) sb.Append(' ');
            sb.Append(l);
        }
        return sb.ToString();
    }

    /// <summary>The SMTP command a diagnostic says was refused (RFC 5321 §4.1).</summary>
    public static string? CommandIn(string lowered)
    {
        if (lowered.Length == 0) return null;
        if (RcptWords.AnyIn(lowered)) return "RCPT";
        if (MailWords.AnyIn(lowered)) return "MAIL";
        if (DataWords.AnyIn(lowered)) return "DATA";
        if (HeloWords.AnyIn(lowered)) return "EHLO";
        return null;
    }

    // The SMTP command a diagnostic names, tried in this order (RCPT before MAIL: "mail from … rcpt to" is a RCPT refusal).
    private static readonly string[] RcptWords = ["rcpt to", "rcpt command", "smtp:rcpt", "does not like recipient", "rcpt_to", "in reply to rcpt"];
    private static readonly string[] MailWords = ["mail from", "in reply to mail"];
    private static readonly string[] DataWords = ["end of data", "final data", "in reply to data", "in reply to end of data"];
    private static readonly string[] HeloWords = ["initial connection", "after ehlo", "after helo", "in reply to ehlo", "in reply to helo"];

    /// <summary>"host mx.example.jp [192.0.2.1]" or "remote host mx.example.jp said" → the host name.</summary>
    public static string? RemoteHost(string diag)
    {
        int at = diag.IndexOf("host ", StringComparison.OrdinalIgnoreCase);
        if (at < 0) return null;
        var after = diag.AsSpan(at + 5).TrimStart();
        int n = 0;
        while (n < after.Length && (char.IsAsciiLetterOrDigit(after[n]) || after[n] is '.' or '-')) n++;
        var host = after[..n].ToString().Trim('.');
        return host.Contains('.') ? host : null;
    }
}

using System.Text;

namespace Herald.Core.Bounces;

/// <summary>Reads the parts of a message the analysis needs, with bounded cost whatever the input.</summary>
internal static class MessageText
{
    /// <summary>Reports are short; a returned 50 MB attachment must not be decoded to find one line.</summary>
    public const int MaxTextChars = 64 * 1024;
    /// <summary>Deeply nested multiparts are walked only this deep (a bounce nests two or three levels).</summary>
    public const int MaxDepth = 8;
    public const int MaxParts = 200;

    // Legacy charsets (ISO-2022-JP, Shift_JIS, windows-125x) that Japanese and European bounces use.
    static MessageText() => System.Text.Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    /// <summary>Decodes at most <see cref="MaxTextChars"/> characters of a part's content.</summary>
    public static string Read(RawPart part, int maxChars = MaxTextChars)
    {
        // Several extractors read the same part (the human text is also searched for report fields): decode it once.
        if (maxChars == MaxTextChars) return part.DecodedText ??= Decode(part, maxChars);
        return Decode(part, maxChars);
    }

    private static string Decode(RawPart part, int maxChars)
    {
        byte[]? buffer = null;
        try
        {
            // Pooled: most parts are a few KB, and this runs for every text part of every message.
            buffer = part.DecodeRented(Math.Min(maxChars * 2, 256 * 1024), out int n);
            var s = Encoding(part.Charset).GetString(buffer, 0, n);
            return s.Length > maxChars ? s[..maxChars] : s;
        }
        catch (Exception) { return ""; }
        finally { if (buffer is not null) System.Buffers.ArrayPool<byte>.Shared.Return(buffer); }
    }

    private static readonly Encoding Utf8 = new UTF8Encoding(false, false);
    // A plain dictionary under a lock: charsets are few, and ConcurrentDictionary's first use costs a process
    // start-up more than every lookup here together.
    private static readonly Dictionary<string, Encoding> Encodings = new(StringComparer.OrdinalIgnoreCase);

    private static Encoding Encoding(string? charset)
    {
        if (string.IsNullOrWhiteSpace(charset)) return Utf8;
        lock (Encodings)
            if (Encodings.TryGetValue(charset, out var known)) return known;
        Encoding e;
        try { e = System.Text.Encoding.GetEncoding(charset.Trim().Trim('"')); } catch (Exception) { e = Utf8; }
        lock (Encodings)
            if (Encodings.Count < 256) Encodings[charset] = e;
        return e;
    }

    /// <summary>Every leaf part outside attached messages, depth-first, bounded.</summary>
    public static List<RawPart> Leaves(RawMessage m)
    {
        var list = new List<RawPart>();
        if (m.Body is { } b) Walk(b, 0, list);
        return list;
    }

    private static void Walk(RawPart e, int depth, List<RawPart> list)
    {
        if (list.Count >= MaxParts || depth > MaxDepth) return;
        if (e.Kind == RawKind.Multipart)
        {
            // No children: the boundary never matched and the content sits in the preamble (read by HumanText).
            if (e.Children.Count == 0) { list.Add(e); return; }
            foreach (var c in e.Children) Walk(c, depth + 1, list);
            return;
        }
        list.Add(e);
    }

    public static bool Is(RawPart e, string type, string subtype) => e.Is(type, subtype);

    /// <summary>The human-readable report: first text/plain leaf, else text/html with tags dropped.</summary>
    public static string HumanText(RawMessage m, List<RawPart> leaves)
    {
        foreach (var e in leaves)
            if (e.Kind == RawKind.Text && e.Is("text", "plain")) return Read(e);
        foreach (var e in leaves)
            if (e.Kind == RawKind.Text && e.Is("text", "html")) return StripTags(Read(e));
        // A multipart whose boundary never occurs (a rewritten header, a truncated file) leaves every line in
        // the preamble: read it rather than give up.
        foreach (var e in leaves)
            if (e.Kind == RawKind.Multipart && e.Children.Count == 0)
            {
                var text = (e.Preamble ?? "") + "\n" + (e.Epilogue ?? "");
                return text.Length > MaxTextChars ? text[..MaxTextChars] : text;
            }
        return "";
    }

    /// <summary>
    /// <c>IndexOf(needle, OrdinalIgnoreCase)</c> without its cost under invariant globalisation (which Herald runs in),
    /// where that search compares character by character: find the first character vectorised, then compare.
    /// </summary>
    public static int IndexOfIgnoreCase(ReadOnlySpan<char> s, ReadOnlySpan<char> needle)
    {
        if (needle.Length == 0) return 0;
        char c = needle[0], lo = char.ToLowerInvariant(c), up = char.ToUpperInvariant(c);
        int i = 0;
        while (s.Length - i >= needle.Length)
        {
            var rest = s[i..(s.Length - needle.Length + 1)];
            int k = lo == up ? rest.IndexOf(c) : rest.IndexOfAny(lo, up);
            if (k < 0) return -1;
            i += k;
            if (s.Slice(i, needle.Length).Equals(needle, StringComparison.OrdinalIgnoreCase)) return i;
            i++;
        }
        return -1;
    }

    public static bool ContainsIgnoreCase(string s, string needle) => IndexOfIgnoreCase(s, needle) >= 0;

    /// <summary>
    /// <c>ToLowerInvariant</c> with the ASCII run done vectorised (under invariant globalisation the runtime's own goes
    /// character by character); from the first non-ASCII character on, the same invariant mapping as before.
    /// </summary>
    public static string LowerInvariant(string s)
    {
        if (s.Length == 0) return s;
        return string.Create(s.Length, s, static (dest, src) =>
        {
            var status = System.Text.Ascii.ToLower(src, dest, out int done);
            if (status == System.Buffers.OperationStatus.Done) return;
            src.AsSpan(done).ToLowerInvariant(dest[done..]);
        });
    }

    public static string StripTags(string html)
    {
        var sb = new StringBuilder(html.Length);
        bool tag = false;
        for (int i = 0; i < html.Length; i++)
        {
            char c = html[i];
            if (c == '<') { tag = true; if (i + 3 < html.Length && (html[i + 1] is 'b' or 'B' or 'p' or 'P' or 'd' or 'D' or 't' or 'T')) sb.Append('\n'); continue; }
            if (c == '>') { tag = false; continue; }
            if (!tag) sb.Append(c);
        }
        return sb.ToString().Replace("&lt;", "<").Replace("&gt;", ">").Replace("&nbsp;", " ").Replace("&amp;", "&").Replace("&quot;", "\"");
    }

    /// <summary>Header-style fields ("Name: value" with folded continuation lines) in blank-line separated groups.</summary>
    public static List<List<KeyValuePair<string, string>>> FieldGroups(string text)
    {
        var groups = new List<List<KeyValuePair<string, string>>>();
        var cur = new List<KeyValuePair<string, string>>();
        // Line by line without splitting the text into strings first: only field names and values are allocated.
        for (int pos = 0; pos <= text.Length;)
        {
            int nl = text.IndexOf('\n', pos);
            int end = nl < 0 ? text.Length : nl;
            var line = text.AsSpan(pos, end - pos).TrimEnd('\r');
            pos = end + 1;
            if (line.Trim().Length == 0) { if (cur.Count > 0) { groups.Add(cur); cur = []; } }
            else if ((line[0] == ' ' || line[0] == '\t') && cur.Count > 0)
            {
                var last = cur[^1];
                cur[^1] = new(last.Key, string.Concat(last.Value, " ", line.Trim()));
            }
            else
            {
                int colon = line.IndexOf(':');
                if (colon > 0 && colon <= 40 && IsFieldName(line[..colon]))
                    cur.Add(new(FieldName(line[..colon].Trim()), line[(colon + 1)..].Trim().ToString()));
            }
            if (nl < 0) break;
        }
        if (cur.Count > 0) groups.Add(cur);
        return groups;
    }

    // The report fields every DSN repeats, lowercased once rather than per occurrence.
    private static readonly string[] KnownFields =
    [
        "reporting-mta", "received-from-mta", "arrival-date", "final-recipient", "original-recipient", "action", "status",
        "remote-mta", "diagnostic-code", "last-attempt-date", "will-retry-until", "x-postfix-queue-id", "x-postfix-sender",
        "original-envelope-id", "x-actual-recipient", "to", "from", "subject", "date", "message-id",
    ];

    private static string FieldName(ReadOnlySpan<char> name)
    {
        foreach (var k in KnownFields)
            if (name.Equals(k, StringComparison.OrdinalIgnoreCase)) return k;
        return name.ToString().ToLowerInvariant();
    }

    /// <summary>RFC 5322 §3.6.8 field names as DSNs use them: letters, digits, hyphens.</summary>
    public static bool IsFieldName(ReadOnlySpan<char> s)
    {
        if (s.Length == 0 || !char.IsAsciiLetter(s[0])) return false;
        foreach (var c in s) if (!(char.IsAsciiLetterOrDigit(c) || c == '-')) return false;
        return true;
    }

    public static string? Field(List<KeyValuePair<string, string>> g, string name)
    {
        foreach (var kv in g) if (kv.Key == name) return kv.Value;
        return null;
    }

    /// <summary>An address in angle brackets or bare; lowercase domain left as written.</summary>
    public static string? FirstAddress(string? s)
    {
        if (string.IsNullOrEmpty(s)) return null;
        int at = s.IndexOf('@');
        while (at > 0)
        {
            int start = at, end = at + 1;
            while (start > 0 && IsAddrChar(s[start - 1])) start--;
            while (end < s.Length && IsAddrChar(s[end])) end++;
            var addr = s[start..end].Trim('.', '-', '\'', '"');
            int a = addr.IndexOf('@');
            if (a > 0 && a < addr.Length - 1 && addr[(a + 1)..].Contains('.')) return addr;
            at = s.IndexOf('@', at + 1);
        }
        return null;
    }

    public static bool IsAddrChar(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '+' or '=' or '%' or '\'' or '/' or '!' or '#' or '$' or '&' or '*' or '?' or '^' or '`' or '{' or '|' or '}' or '~' || c > 127 && char.IsLetterOrDigit(c);
}

using System.Text;
using MimeKit;

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
    public static string Read(MimePart part, int maxChars = MaxTextChars)
    {
        try
        {
            if (part.Content is null) return "";
            using var stream = part.Content.Open();
            // Pooled: most parts are a few KB, and this runs for every text part of every message.
            var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(Math.Min(maxChars * 2, 256 * 1024));
            try
            {
                int n = 0, r;
                while (n < buffer.Length && (r = stream.Read(buffer, n, buffer.Length - n)) > 0) n += r;
                var enc = Encoding(part.ContentType?.Charset);
                var s = enc.GetString(buffer, 0, n);
                return s.Length > maxChars ? s[..maxChars] : s;
            }
            finally { System.Buffers.ArrayPool<byte>.Shared.Return(buffer); }
        }
        catch (Exception) { return ""; }
    }

    private static Encoding Encoding(string? charset)
    {
        if (string.IsNullOrWhiteSpace(charset)) return new UTF8Encoding(false, false);
        try { return System.Text.Encoding.GetEncoding(charset.Trim().Trim('"')); } catch (Exception) { return new UTF8Encoding(false, false); }
    }

    /// <summary>Every leaf part outside attached messages, depth-first, bounded.</summary>
    public static List<MimeEntity> Leaves(MimeMessage m)
    {
        var list = new List<MimeEntity>();
        if (m.Body is { } b) Walk(b, 0, list);
        return list;
    }

    private static void Walk(MimeEntity e, int depth, List<MimeEntity> list)
    {
        if (list.Count >= MaxParts || depth > MaxDepth) return;
        if (e is Multipart mp)
        {
            // No children: the boundary never matched and the content sits in the preamble (read by HumanText).
            if (mp.Count == 0) { list.Add(mp); return; }
            foreach (var c in mp) Walk(c, depth + 1, list);
            return;
        }
        list.Add(e);
    }

    public static bool Is(MimeEntity e, string type, string subtype) =>
        e.ContentType is { } ct && ct.MediaType.Equals(type, StringComparison.OrdinalIgnoreCase) &&
        ct.MediaSubtype.Equals(subtype, StringComparison.OrdinalIgnoreCase);

    /// <summary>The human-readable report: first text/plain leaf, else text/html with tags dropped.</summary>
    public static string HumanText(MimeMessage m, List<MimeEntity> leaves)
    {
        foreach (var e in leaves)
            if (e is TextPart t && Is(t, "text", "plain")) return Read(t);
        foreach (var e in leaves)
            if (e is TextPart t && Is(t, "text", "html")) return StripTags(Read(t));
        // A multipart whose boundary never occurs (a rewritten header, a truncated file) leaves every line in
        // the preamble: read it rather than give up.
        foreach (var e in leaves)
            if (e is Multipart { Count: 0 } mp)
            {
                var text = (mp.Preamble ?? "") + "\n" + (mp.Epilogue ?? "");
                return text.Length > MaxTextChars ? text[..MaxTextChars] : text;
            }
        return "";
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
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Trim().Length == 0) { if (cur.Count > 0) { groups.Add(cur); cur = []; } continue; }
            if ((line[0] == ' ' || line[0] == '\t') && cur.Count > 0)
            {
                var last = cur[^1];
                cur[^1] = new(last.Key, last.Value + " " + line.Trim());
                continue;
            }
            int colon = line.IndexOf(':');
            if (colon <= 0 || colon > 40 || !IsFieldName(line.AsSpan(0, colon))) continue;
            cur.Add(new(line[..colon].Trim().ToLowerInvariant(), line[(colon + 1)..].Trim()));
        }
        if (cur.Count > 0) groups.Add(cur);
        return groups;
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

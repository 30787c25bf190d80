using System.Text;
using MimeKit;
using MimeKit.Utils;

namespace Herald.Core.Bounces;

/// <summary>
/// A read-only view of a message's MIME structure over its bytes, made for bounce analysis.
/// Why not MimeKit's DOM: a bounce is read once, and most of it (the returned original's headers and body, every
/// header of every part) is never looked at. Building MimeKit's objects for all of it cost more than the analysis
/// itself. This reader only finds where headers and parts are; a header's value is decoded (RFC 2047, unfolded, with
/// MimeKit's own routines) and a part's content decoded (base64, quoted-printable, uuencode, MimeKit's decoders) when
/// the analysis asks for it, and an attached message is parsed when it is first read.
/// The structure follows MimeKit's parser where RFC 2046 leaves room: a part's header ends at a blank line or at a
/// boundary, and a line in it that is not a field is dropped; a boundary line may carry trailing white space; a line
/// with an enclosing multipart's boundary ends the inner one too; message/rfc822 that is transfer-encoded is a plain
/// part. RawMimeTests holds it to MimeKit's reading of every corpus message and sample.
/// </summary>
internal sealed class RawMessage
{
    /// <summary>Nesting beyond this is read as opaque parts (a bounce nests two or three levels).</summary>
    public const int MaxDepth = 12;

    private string? from, fromRaw;
    private bool fromRead;

    public RawHeaders Headers { get; }
    public RawPart? Body { get; }

    // Header fields are decoded before any part is read (the VERP token comes first): the legacy charsets of Japanese and
    // European encoded words (ISO-2022-JP, Shift_JIS, windows-125x) must be known by then, not only once MessageText is.
    static RawMessage() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    private RawMessage(RawHeaders headers, RawPart? body) { Headers = headers; Body = body; }

    public static RawMessage Parse(byte[] source) => Parse(source, 0, source.Length, 0);

    internal static RawMessage Parse(byte[] s, int start, int end, int depth)
    {
        var headers = new RawHeaders(s);
        int body = headers.Read(start, end, null);
        var part = RawPart.Make(s, headers, body, end, null, depth, defaultMessage: false, out _);
        return new RawMessage(headers, part);
    }

    public string? Subject => Headers["Subject"];

    /// <summary>The first mailbox of From, as MimeKit's address parser reads it.</summary>
    public string? FromAddress
    {
        get
        {
            if (!fromRead)
            {
                fromRead = true;
                fromRaw = Headers["From"];
                from = FirstMailbox(fromRaw) ?? FirstMailboxRaw("From");
            }
            return from;
        }
    }

    public string? FirstToAddress => FirstMailbox(Headers["To"]) ?? FirstMailboxRaw("To");

    /// <summary>
    /// The field's bytes as written, read by MimeKit's address parser as it reads a message: a display name in an
    /// RFC 2047 encoded word whose decoded text the parser refuses (seen with ISO-2022-JP) must not lose the address after it.
    /// </summary>
    private string? FirstMailboxRaw(string field)
    {
        int i = Headers.IndexOf(field);
        if (i < 0) return null;
        var (start, end) = Headers.RawValue(i);
        if (!InternetAddressList.TryParse(Headers.Source, start, end - start, out var list)) return null;
        foreach (var m in list.Mailboxes) return m.Address;
        return null;
    }

    /// <summary>Message-ID without its angle brackets (RFC 5322 §3.6.4), as MimeKit reads it.</summary>
    public string? MessageId
    {
        get
        {
            int i = Headers.IndexOf("Message-Id");
            if (i < 0) return null;
            var (start, end) = Headers.RawValue(i);
            try { return MimeUtils.ParseMessageId(Headers.Source, start, end - start); } catch (Exception) { return null; }
        }
    }

    /// <summary>
    /// The common shapes read without MimeKit's address parser (which the analysis would otherwise run on every
    /// message): "Name &lt;local@domain&gt;" with a plain name, or a bare "local@domain". Anything else (quotes, groups,
    /// comments, several addresses, encoded words) goes to MimeKit.
    /// </summary>
    private static string? SimpleMailbox(string value)
    {
        var v = value.AsSpan().Trim();
        if (v.IndexOfAny("\"(),;:\\[]") >= 0) return null;
        int lt = v.IndexOf('<');
        ReadOnlySpan<char> spec;
        if (lt >= 0)
        {
            if (v[^1] != '>' || v[(lt + 1)..].IndexOf('<') >= 0 || v[..lt].IndexOf('>') >= 0 || v[..lt].IndexOf('@') >= 0) return null;
            spec = v[(lt + 1)..^1].Trim();
        }
        else spec = v;
        int at = spec.IndexOf('@');
        if (at <= 0 || at == spec.Length - 1 || spec[(at + 1)..].IndexOf('@') >= 0 || spec.IndexOfAny(" \t>") >= 0) return null;
        foreach (var c in spec) if (c <= ' ' || c >= 127) return null;
        var domain = spec[(at + 1)..];
        // Punycode: MimeKit gives the domain in Unicode; let it.
        if (domain[0] == '.' || domain[^1] == '.' || domain.IndexOf("..") >= 0 || spec[0] == '.' || spec[at - 1] == '.' ||
            domain.Contains("xn--", StringComparison.OrdinalIgnoreCase)) return null;
        return spec.ToString();
    }

    private static string? FirstMailbox(string? value)
    {
        if (string.IsNullOrEmpty(value)) return null;
        if (SimpleMailbox(value) is { } simple) return simple;
        if (!InternetAddressList.TryParse(value, out var list)) return null;
        foreach (var m in list.Mailboxes) return m.Address;
        return null;
    }
}

/// <summary>Header fields in order; names compared without regard to case, values decoded on first use.</summary>
internal sealed class RawHeaders
{
    // A plain array of a struct rather than a List of tuples: a generic instantiation over a value type is compiled at
    // run time even in a ReadyToRun build, and a batch run is short.
    private struct Place { public int NameStart, NameEnd, ValueStart, ValueEnd; }
    private Place[] items = new Place[16];
    private int count;
    private string?[]? values;

    public RawHeaders(byte[] source) => Source = source;

    public byte[] Source { get; }
    public int Count => count;

    public string Field(int i) => Encoding.ASCII.GetString(Source, items[i].NameStart, items[i].NameEnd - items[i].NameStart);

    public bool FieldIs(int i, string name) => AsciiEquals(Source, items[i].NameStart, items[i].NameEnd, name);

    public (int Start, int End) RawValue(int i) => (items[i].ValueStart, items[i].ValueEnd);

    /// <summary>The value as MimeKit's <c>Header.Value</c> gives it: encoded-words decoded, unfolded.</summary>
    public string Value(int i)
    {
        values ??= new string?[count];
        if (values.Length < count) Array.Resize(ref values, count);
        return values[i] ??= Decode(i);
    }

    private string Decode(int i)
    {
        int start = items[i].ValueStart, end = items[i].ValueEnd;
        var raw = Source.AsSpan(start, end - start);
        // Plain ASCII without encoded words (nearly every field): unfold here as MimeKit's Header.Unfold does (line
        // breaks removed, white space trimmed); otherwise MimeKit's RFC 2047 decoder and charset fallback.
        if (!System.Text.Ascii.IsValid(raw) || raw.IndexOf("=?"u8) >= 0) return Header.Unfold(Rfc2047.DecodeText(Source, start, end - start)).Trim();
        if (raw.IndexOfAny((byte)'\r', (byte)'\n') < 0) return Encoding.ASCII.GetString(raw).Trim();
        Span<byte> buffer = raw.Length <= 2048 ? stackalloc byte[raw.Length] : new byte[raw.Length];
        int n = 0;
        foreach (var b in raw) if (b is not ((byte)'\r' or (byte)'\n')) buffer[n++] = b;
        return Encoding.ASCII.GetString(buffer[..n]).Trim();
    }

    public int IndexOf(string name)
    {
        for (int i = 0; i < count; i++) if (FieldIs(i, name)) return i;
        return -1;
    }

    public bool Contains(string name) => IndexOf(name) >= 0;

    /// <summary>The first field of that name, or null.</summary>
    public string? this[string name] => IndexOf(name) is var i and >= 0 ? Value(i) : null;

    /// <summary>
    /// Reads fields from <paramref name="pos"/>; returns where the content starts: after the blank line, or at a boundary
    /// line (empty content). As in MimeKit's parser, a line that is not a field (no colon, a space inside the name) does
    /// not end the header: it is dropped with its continuation lines, and so is an mbox "From " line before the first.
    /// </summary>
    internal int Read(int pos, int end, Boundaries? bounds)
    {
        var s = Source;
        bool current = false; // whether continuation lines belong to a field we keep
        while (pos < end)
        {
            int nl = Array.IndexOf(s, (byte)'\n', pos, end - pos);
            int lineEnd = nl < 0 ? end : nl, next = nl < 0 ? end : nl + 1;
            int textEnd = lineEnd > pos && s[lineEnd - 1] == (byte)'\r' ? lineEnd - 1 : lineEnd;
            if (textEnd == pos) return next; // the blank line
            if (bounds is not null && s[pos] == (byte)'-' && bounds.Match(s, pos, textEnd) >= 0) return pos;
            byte c = s[pos];
            if (c is (byte)' ' or (byte)'\t')
            {
                if (current) items[count - 1].ValueEnd = textEnd;
                pos = next;
                continue;
            }
            current = false;
            int colon = Array.IndexOf(s, (byte)':', pos, textEnd - pos);
            if (colon > pos)
            {
                int nameEnd = colon;
                while (nameEnd > pos && s[nameEnd - 1] is (byte)' ' or (byte)'\t') nameEnd--;
                if (nameEnd > pos && IsFieldName(s, pos, nameEnd))
                {
                    if (count == items.Length) Array.Resize(ref items, count * 2);
                    items[count++] = new Place { NameStart = pos, NameEnd = nameEnd, ValueStart = colon + 1, ValueEnd = textEnd };
                    current = true;
                }
            }
            pos = next;
        }
        return end;
    }

    private static bool IsFieldName(byte[] s, int start, int end)
    {
        for (int i = start; i < end; i++) if (s[i] is < 33 or 127) return false;
        return true;
    }

    internal static bool AsciiEquals(byte[] s, int start, int end, string name)
    {
        if (end - start != name.Length) return false;
        for (int i = 0; i < name.Length; i++)
        {
            int a = s[start + i], b = name[i];
            if (a == b) continue;
            if ((a | 0x20) != (b | 0x20) || (uint)((a | 0x20) - 'a') > 'z' - 'a') return false;
        }
        return true;
    }
}

/// <summary>The boundaries in force, innermost last ("--" + boundary, as bytes).</summary>
internal sealed class Boundaries
{
    private readonly List<byte[]> marks = new(4);

    public int Count => marks.Count;
    public void Push(string boundary) => marks.Add(Encoding.UTF8.GetBytes("--" + boundary));
    public void Pop() => marks.RemoveAt(marks.Count - 1);

    public int Match(byte[] s, int start, int end) => Match(s, start, end, out _);

    /// <summary>The index of the boundary this line is (innermost first), -1 if none; <paramref name="close"/> for "--b--".</summary>
    public int Match(byte[] s, int start, int end, out bool close)
    {
        close = false;
        if (end - start < 2 || s[start] != (byte)'-' || s[start + 1] != (byte)'-') return -1;
        for (int k = marks.Count - 1; k >= 0; k--)
        {
            var m = marks[k];
            if (end - start < m.Length || !s.AsSpan(start, m.Length).SequenceEqual(m)) continue;
            int i = start + m.Length;
            if (i + 1 < end && s[i] == (byte)'-' && s[i + 1] == (byte)'-') { close = true; i += 2; }
            while (i < end && s[i] is (byte)' ' or (byte)'\t' or (byte)'\r') i++;
            if (i == end) return k;
        }
        return -1;
    }
}

internal enum RawKind { Leaf, Text, Multipart, Message }

/// <summary>One MIME entity: a leaf with its content's place, a multipart with its children, or an attached message.</summary>
internal sealed class RawPart
{
    private readonly byte[] source;
    private readonly int contentStart, contentEnd, depth;
    private RawMessage? message;
    private bool messageRead;

    public RawHeaders Headers { get; }
    public RawKind Kind { get; }
    public string MediaType { get; }
    public string MediaSubtype { get; }
    private readonly List<(string Name, string Value)>? parameters;
    public List<RawPart> Children { get; } = [];
    public string? Preamble { get; private set; }
    public string? Epilogue { get; private set; }

    private RawPart(byte[] source, RawHeaders headers, RawKind kind, string type, string subtype, List<(string, string)>? parameters,
        int contentStart, int contentEnd, int depth)
    {
        this.source = source; Headers = headers; Kind = kind; MediaType = type; MediaSubtype = subtype; this.parameters = parameters;
        this.contentStart = contentStart; this.contentEnd = contentEnd; this.depth = depth;
    }

    public bool Is(string type, string subtype) =>
        MediaType.Equals(type, StringComparison.OrdinalIgnoreCase) && MediaSubtype.Equals(subtype, StringComparison.OrdinalIgnoreCase);

    public string? Parameter(string name)
    {
        if (parameters is null) return null;
        foreach (var (n, v) in parameters) if (n.Equals(name, StringComparison.OrdinalIgnoreCase)) return v;
        return null;
    }

    public string? Charset => Parameter("charset");

    /// <summary>The decoded text, once read (see <see cref="MessageText.Read"/>).</summary>
    internal string? DecodedText { get; set; }

    /// <summary>The attached message of a message/rfc822 (or text/rfc822-headers) part, parsed on first use.</summary>
    public RawMessage? Message
    {
        get
        {
            if (Kind != RawKind.Message) return null;
            if (!messageRead) { messageRead = true; message = RawMessage.Parse(source, contentStart, contentEnd, depth + 1); }
            return message;
        }
    }

    /// <summary>
    /// The content with its transfer encoding undone, from at most <paramref name="maxInput"/> bytes of it, in a buffer
    /// rented from the shared pool (the caller returns it).
    /// </summary>
    public byte[] DecodeRented(int maxInput, out int length)
    {
        int available = Math.Max(0, contentEnd - contentStart);
        int take = Math.Min(available, maxInput);
        var encoding = take == 0 ? "" : (Headers["Content-Transfer-Encoding"] ?? "").Trim().ToLowerInvariant();
        MimeKit.Encodings.IMimeDecoder? decoder = encoding switch
        {
            "base64" => new MimeKit.Encodings.Base64Decoder(),
            "quoted-printable" => new MimeKit.Encodings.QuotedPrintableDecoder(),
            "x-uuencode" or "uuencode" or "x-uue" => new MimeKit.Encodings.UUDecoder(),
            _ => null,
        };
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(Math.Max(16, decoder?.EstimateOutputLength(take) ?? take));
        if (decoder is null)
        {
            Buffer.BlockCopy(source, contentStart, buffer, 0, take);
            length = take;
        }
        else length = decoder.Decode(source, contentStart, take, buffer);
        return buffer;
    }

    /// <summary>Builds the entity whose header is <paramref name="headers"/> and whose content starts at <paramref name="body"/>;
    /// <paramref name="stop"/> is where it ends (a boundary line of an enclosing multipart, or the end).</summary>
    internal static RawPart Make(byte[] s, RawHeaders headers, int body, int end, Boundaries? bounds, int depth, bool defaultMessage, out int stop)
    {
        string type, subtype;
        List<(string, string)>? parameters = null;
        int ct = headers.IndexOf("Content-Type");
        if (ct < 0 || !ParseContentType(headers.Value(ct), out type, out subtype, out parameters))
        {
            (type, subtype) = defaultMessage ? ("message", "rfc822") : ("text", "plain");
            if (ct >= 0) parameters = null;
        }
        bool encoded = IsEncoded(headers);
        RawKind kind;
        if (type.Equals("multipart", StringComparison.OrdinalIgnoreCase) && depth < RawMessage.MaxDepth) kind = RawKind.Multipart;
        else if (type.Equals("text", StringComparison.OrdinalIgnoreCase))
            kind = subtype.Equals("rfc822-headers", StringComparison.OrdinalIgnoreCase) && !encoded && depth < RawMessage.MaxDepth ? RawKind.Message : RawKind.Text;
        else if (type.Equals("message", StringComparison.OrdinalIgnoreCase) && !encoded && depth < RawMessage.MaxDepth &&
                 subtype.ToLowerInvariant() is "rfc822" or "global" or "news" or "external-body" or "rfc2822" or "global-headers") kind = RawKind.Message;
        else if (type.Equals("application", StringComparison.OrdinalIgnoreCase) && subtype.Equals("rtf", StringComparison.OrdinalIgnoreCase)) kind = RawKind.Text;
        else kind = RawKind.Leaf;

        if (kind != RawKind.Multipart)
        {
            stop = ContentEnd(s, body, end, bounds, out int contentEnd);
            return new RawPart(s, headers, kind, type, subtype, parameters, body, contentEnd, depth);
        }

        var part = new RawPart(s, headers, kind, type, subtype, parameters, body, body, depth);
        var boundary = part.Parameter("boundary");
        if (string.IsNullOrEmpty(boundary))
        {
            stop = ContentEnd(s, body, end, bounds, out int contentEnd);
            part.Preamble = Text(s, body, contentEnd);
            return part;
        }
        bounds ??= new Boundaries();
        bounds.Push(boundary);
        int own = bounds.Count - 1;
        try
        {
            // Preamble: up to the first line that is a boundary.
            int at = NextBoundary(s, body, end, bounds, out int which, out bool close);
            part.Preamble = Text(s, body, BeforeNewline(s, body, at));
            while (at < end && which == own && !close)
            {
                int headerStart = LineAfter(s, at, end);
                var childHeaders = new RawHeaders(s);
                int childBody = childHeaders.Read(headerStart, end, bounds);
                bool digest = part.MediaSubtype.Equals("digest", StringComparison.OrdinalIgnoreCase);
                var child = Make(s, childHeaders, childBody, end, bounds, depth + 1, digest, out at);
                if (part.Children.Count < 1000) part.Children.Add(child);
                which = at < end ? bounds.Match(s, at, LineTextEnd(s, at, end), out close) : -1;
            }
            if (at < end && which == own && close)
            {
                int epilogue = LineAfter(s, at, end);
                if (bounds.Count > 1)
                {
                    bounds.Pop();
                    try { stop = NextBoundary(s, epilogue, end, bounds, out _, out _); }
                    finally { bounds.Push(boundary); }
                }
                else stop = end;
                part.Epilogue = Text(s, epilogue, BeforeNewline(s, epilogue, stop));
                return part;
            }
            stop = at; // an enclosing boundary, or the end
            return part;
        }
        finally { bounds.Pop(); }
    }

    private static bool IsEncoded(RawHeaders headers)
    {
        var cte = headers["Content-Transfer-Encoding"];
        if (cte is null) return false;
        return cte.Trim().ToLowerInvariant() is not ("7bit" or "8bit" or "binary" or "");
    }

    /// <summary>Where a part's content ends: the newline before the next boundary line in force (that belongs to the boundary).</summary>
    private static int ContentEnd(byte[] s, int body, int end, Boundaries? bounds, out int contentEnd)
    {
        if (bounds is null) { contentEnd = end; return end; }
        int at = NextBoundary(s, body, end, bounds, out _, out _);
        // The newline before a boundary belongs to it (RFC 2046 §5.1.1); content that runs to the end keeps its own.
        contentEnd = at < end ? BeforeNewline(s, body, at) : end;
        return at;
    }

    private static int BeforeNewline(byte[] s, int start, int at)
    {
        if (at <= start) return start;
        int e = at;
        if (s[e - 1] == (byte)'\n') { e--; if (e > start && s[e - 1] == (byte)'\r') e--; }
        return e;
    }

    /// <summary>The start of the next line from <paramref name="pos"/> (inclusive) that is a boundary in force, else <paramref name="end"/>.</summary>
    private static int NextBoundary(byte[] s, int pos, int end, Boundaries bounds, out int which, out bool close)
    {
        int line = pos;
        while (line < end)
        {
            if (s[line] == (byte)'-')
            {
                int w = bounds.Match(s, line, LineTextEnd(s, line, end), out close);
                if (w >= 0) { which = w; return line; }
            }
            int i = s.AsSpan(line, end - line).IndexOf("\n--"u8);
            if (i < 0) break;
            line += i + 1;
        }
        which = -1; close = false;
        return end;
    }

    private static int LineTextEnd(byte[] s, int start, int end)
    {
        int nl = Array.IndexOf(s, (byte)'\n', start, end - start);
        int e = nl < 0 ? end : nl;
        return e > start && s[e - 1] == (byte)'\r' ? e - 1 : e;
    }

    private static int LineAfter(byte[] s, int start, int end)
    {
        int nl = Array.IndexOf(s, (byte)'\n', start, end - start);
        return nl < 0 ? end : nl + 1;
    }

    private static string Text(byte[] s, int start, int end) =>
        end > start ? new UTF8Encoding(false, false).GetString(s, start, Math.Min(end - start, 256 * 1024)) : "";

    /// <summary>type/subtype; parameters (RFC 2045 §5.1), quoted values unquoted, RFC 2231 continuations joined.</summary>
    internal static bool ParseContentType(string value, out string type, out string subtype, out List<(string, string)>? parameters)
    {
        type = subtype = ""; parameters = null;
        int semi = value.IndexOf(';');
        var media = (semi < 0 ? value : value[..semi]).Trim();
        int slash = media.IndexOf('/');
        if (slash <= 0 || slash == media.Length - 1) return false;
        type = media[..slash].Trim(); subtype = media[(slash + 1)..].Trim();
        int sp = subtype.IndexOfAny([' ', '\t', '(']);
        if (sp > 0) subtype = subtype[..sp];
        if (type.Length == 0 || subtype.Length == 0 || !IsToken(type) || !IsToken(subtype)) return false;
        if (semi < 0) return true;
        parameters = [];
        int i = semi + 1;
        while (i < value.Length)
        {
            while (i < value.Length && (value[i] is ' ' or '\t' or ';')) i++;
            int eq = value.IndexOf('=', i);
            if (eq < 0) break;
            var name = value[i..eq].Trim();
            i = eq + 1;
            while (i < value.Length && value[i] is ' ' or '\t') i++;
            string v;
            if (i < value.Length && value[i] == '"')
            {
                var sb = new StringBuilder();
                i++;
                while (i < value.Length && value[i] != '"')
                {
                    if (value[i] == '\\' && i + 1 < value.Length) i++;
                    sb.Append(value[i++]);
                }
                i++;
                v = sb.ToString();
                int next = value.IndexOf(';', Math.Min(i, value.Length));
                i = next < 0 ? value.Length : next;
            }
            else
            {
                int next = value.IndexOf(';', i);
                v = (next < 0 ? value[i..] : value[i..next]).Trim();
                i = next < 0 ? value.Length : next;
            }
            if (name.Length == 0) continue;
            AddParameter(parameters, name, v);
        }
        return true;
    }

    private static void AddParameter(List<(string, string)> list, string name, string value)
    {
        // RFC 2231: name*=charset'lang'%XX…, name*0=…, name*1*=…: joined under the plain name.
        int star = name.IndexOf('*');
        if (star < 0) { list.Add((name, value)); return; }
        var plain = name[..star];
        bool encoded = name.EndsWith('*');
        if (encoded)
        {
            int q2 = value.IndexOf('\'') is var q1 and >= 0 ? value.IndexOf('\'', q1 + 1) : -1;
            if (q2 >= 0) value = value[(q2 + 1)..];
            try { value = Uri.UnescapeDataString(value); } catch (Exception) { }
        }
        for (int k = 0; k < list.Count; k++)
            if (list[k].Item1.Equals(plain, StringComparison.OrdinalIgnoreCase)) { list[k] = (plain, list[k].Item2 + value); return; }
        list.Add((plain, value));
    }

    private static bool IsToken(string s)
    {
        foreach (var c in s) if (c <= ' ' || c >= 127 || "()<>@,;:\\\"/[]?=".Contains(c)) return false;
        return true;
    }
}

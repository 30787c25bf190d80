using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Herald.Email;

/// <summary>
/// The links of an announcement's HTML that tracking rewrites, and the rewrite. Both the message builder (which puts
/// <c>/c/{token}</c> in place of the n-th link) and the click endpoint (which redirects to the n-th link) enumerate
/// the links with <see cref="Links"/> over the same stored HTML, so a token's link number always names the link that
/// was in that message; the URL itself never travels in the token or the request.
/// Tracked: <c>href</c> of <c>&lt;a&gt;</c> and <c>&lt;area&gt;</c> whose value is an absolute http(s) URL. Never:
/// <c>mailto:</c>, <c>tel:</c>, anchors (<c>#…</c>), relative links, and links under Herald's own public URLs (the
/// unsubscribe and preference pages, which must work as themselves).
/// </summary>
public static partial class TrackedHtml
{
    [GeneratedRegex("""<(?:a|area)\b[^>]*?\shref\s*=\s*(?:"(?<v>[^"]*)"|'(?<v>[^']*)'|(?<v>[^\s"'>]+))""",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 2000)]
    private static partial Regex Href();

    /// <summary>The tracked links in document order: their position in the HTML (of the attribute's value) and the URL
    /// (entities decoded, as a browser would follow it).</summary>
    public static List<(int Index, int Length, string Url)> Links(string html, IReadOnlyList<string> untouched)
    {
        var links = new List<(int, int, string)>();
        foreach (Match m in Href().Matches(html))
        {
            var v = m.Groups["v"];
            var url = WebUtility.HtmlDecode(v.Value).Trim();
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")) continue;
            if (untouched.Any(p => p.Length > 0 && url.StartsWith(p, StringComparison.OrdinalIgnoreCase))) continue;
            links.Add((v.Index, v.Length, url));
        }
        return links;
    }

    /// <summary>The n-th tracked link (1-based), or null.</summary>
    public static string? Link(string? html, int n, IReadOnlyList<string> untouched) =>
        html is null || n < 1 ? null : Links(html, untouched) is var l && n <= l.Count ? l[n - 1].Url : null;

    /// <summary>The HTML with every tracked link replaced by <paramref name="click"/>(n) and the open pixel
    /// <paramref name="pixel"/> before <c>&lt;/body&gt;</c> (or at the end). Null when a token could not be made
    /// (the message then goes untracked).</summary>
    public static string? Rewrite(string html, IReadOnlyList<string> untouched, Func<int, string?> click, string pixel)
    {
        var sb = new StringBuilder(html.Length + 256);
        var at = 0;
        var n = 0;
        foreach (var (index, length, _) in Links(html, untouched))
        {
            if (click(++n) is not { } url) return null;
            sb.Append(html, at, index - at).Append(WebUtility.HtmlEncode(url));
            at = index + length;
        }
        sb.Append(html, at, html.Length - at);
        var img = $"<img src=\"{WebUtility.HtmlEncode(pixel)}\" width=\"1\" height=\"1\" alt=\"\" style=\"display:block;width:1px;height:1px;border:0\" />";
        var body = sb.ToString();
        var end = body.LastIndexOf("</body>", StringComparison.OrdinalIgnoreCase);
        return end < 0 ? body + img : body.Insert(end, img);
    }
}

using System.Net;

namespace Herald.Email;

/// <summary>
/// The short footer of every email (docs/preferences.md, "The footer"). A non-essential email says which school and
/// category it is from and how to leave: the preference link when Herald has a public URL
/// (<c>Herald:Email:UnsubscribeBaseUrl</c>), else the unsubscribe mailto, else "contact the school". An essential
/// email says it is an essential school message that cannot be unsubscribed from. Added to the text body and the HTML
/// body (whichever the announcement has), with everything put into the HTML encoded.
/// </summary>
public sealed class MessageFooter
{
    private readonly string _text;
    private readonly string _html;

    private MessageFooter(string text, string html) => (_text, _html) = (text, html);

    public static MessageFooter Essential(string school)
    {
        var said = $"This is an essential message from {school}. Essential messages go to every family and cannot be unsubscribed from.";
        return new(said, WebUtility.HtmlEncode(said));
    }

    /// <param name="url">The preference page (GET) and one-click (POST) URL; null without a public URL.</param>
    /// <param name="mailto">The <c>unsubscribe+TOKEN@</c> address; null without a bounce domain.</param>
    public static MessageFooter Unsubscribe(string school, string category, string? url, string? mailto) =>
        Leave(school, $"You receive {category} messages from {school}.", url, $"To unsubscribe from {category} emails",
            $"Unsubscribe from {category} emails", mailto, $"To unsubscribe from {category} emails", $"Unsubscribe from {category} emails");

    /// <summary>A digest's footer: one link for everything it carries (the preference page lists each category, and the
    /// one-click header leaves all of the digest's categories by email).</summary>
    public static MessageFooter Digest(string school, IReadOnlyList<string> categories, string? url, string? mailto) =>
        Leave(school, $"This is your digest of messages from {school} ({string.Join(", ", categories)}).", url,
            "To choose what you receive and how often, or to unsubscribe", "Choose what you receive and how often, or unsubscribe",
            mailto, "To unsubscribe from these emails", "Unsubscribe from these emails");

    /// <summary>Why the recipient gets this, then the way out: the link when Herald has a public URL, else the mailto,
    /// else "contact the school". Everything put into the HTML is encoded.</summary>
    private static MessageFooter Leave(string school, string why, string? url, string urlSentence, string urlLink, string? mailto,
        string mailtoSentence, string mailtoLink)
    {
        var h = WebUtility.HtmlEncode(why);
        if (url is not null)
            return new($"{why} {urlSentence}: {url}", $"{h} <a href=\"{WebUtility.HtmlEncode(url)}\">{WebUtility.HtmlEncode(urlLink)}</a>");
        if (mailto is not null)
            return new($"{why} {mailtoSentence}, send an email to {mailto} with the subject \"unsubscribe\".",
                $"{h} <a href=\"mailto:{WebUtility.HtmlEncode(mailto)}?subject=unsubscribe\">{WebUtility.HtmlEncode(mailtoLink)}</a>");
        var contact = $"{why} To stop receiving them, contact {school}.";
        return new(contact, WebUtility.HtmlEncode(contact));
    }

    /// <summary>The text body with the footer after a signature separator; null stays null (no text part).</summary>
    public string? AddTo(string? text) => text is null ? null : $"{text.TrimEnd()}\n\n-- \n{_text}\n";

    /// <summary>The HTML body with the footer before its closing body tag (or at its end); null stays null.</summary>
    public string? AddToHtml(string? html)
    {
        if (html is null) return null;
        var footer = $"<hr><p style=\"font-size:small;color:#444\">{_html}</p>";
        var end = html.LastIndexOf("</body>", StringComparison.OrdinalIgnoreCase);
        return end < 0 ? html + footer : html.Insert(end, footer);
    }
}

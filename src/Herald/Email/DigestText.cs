using System.Net;
using System.Text;

namespace Herald.Email;

/// <summary>The words and layout of a digest email: a subject naming what it carries, the list of subjects, then each
/// announcement under its own heading, in text and (when any announcement has HTML) in HTML.</summary>
public static class DigestText
{
    /// <summary>Subjects longer than this are cut: mail clients show about this much, and RFC 5322 lines stay short.</summary>
    private const int MaxSubject = 150;

    /// <summary>One announcement keeps its own subject; several are named, as many as fit.</summary>
    public static string Subject(string school, IReadOnlyList<string> subjects)
    {
        if (subjects.Count == 1) return subjects[0];
        var s = $"{school}: {subjects.Count} announcements - {string.Join("; ", subjects)}";
        return s.Length <= MaxSubject ? s : s[..(MaxSubject - 1)].TrimEnd() + "…";
    }

    /// <summary>The text part: an announcement with no text (HTML only) says where to read it.</summary>
    public static string Text(string school, IReadOnlyList<(string Subject, string? Text)> items)
    {
        var b = new StringBuilder();
        b.Append(items.Count == 1 ? $"{school}: 1 announcement\n\n" : $"{school}: {items.Count} announcements\n\n");
        for (var i = 0; i < items.Count; i++) b.Append($"{i + 1}. {items[i].Subject}\n");
        for (var i = 0; i < items.Count; i++)
        {
            b.Append($"\n\n======== {i + 1}. {items[i].Subject} ========\n\n");
            b.Append(items[i].Text?.TrimEnd() ?? "(This announcement has no plain-text version: read it in the HTML version of this email.)");
        }
        return b.Append('\n').ToString();
    }

    /// <summary>The HTML part: each announcement's own HTML (its body only; tracked as its delivery's), or its text,
    /// encoded, when it has no HTML.</summary>
    public static string Html(string school, IReadOnlyList<(string Subject, string? Text, string? Html)> items)
    {
        var b = new StringBuilder("<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>");
        b.Append($"<h1>{E(school)}: {items.Count} announcement{(items.Count == 1 ? "" : "s")}</h1><ol>");
        for (var i = 0; i < items.Count; i++) b.Append($"<li><a href=\"#announcement-{i + 1}\">{E(items[i].Subject)}</a></li>");
        b.Append("</ol>");
        for (var i = 0; i < items.Count; i++)
        {
            b.Append($"<hr><section id=\"announcement-{i + 1}\"><h2>{i + 1}. {E(items[i].Subject)}</h2>");
            b.Append(items[i].Html is { } html ? BodyOf(html) : $"<p style=\"white-space:pre-wrap\">{E(items[i].Text ?? "")}</p>");
            b.Append("</section>");
        }
        return b.Append("</body></html>").ToString();
    }

    /// <summary>What is inside an HTML document's body (its head and the document's own html/body tags do not nest).</summary>
    private static string BodyOf(string html)
    {
        var open = html.IndexOf("<body", StringComparison.OrdinalIgnoreCase);
        var start = open < 0 ? -1 : html.IndexOf('>', open);
        var end = html.LastIndexOf("</body", StringComparison.OrdinalIgnoreCase);
        return start >= 0 && end > start ? html[(start + 1)..end] : html;
    }

    private static string E(string s) => WebUtility.HtmlEncode(s);
}

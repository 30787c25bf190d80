using System.Net;
using Herald.Core.Deliveries;
using Herald.Http;

namespace Herald.Contacts;

/// <summary>
/// <c>/unsubscribe/{token}</c>, the URL in every non-essential email's <c>List-Unsubscribe</c> header and footer
/// (docs/preferences.md). Anonymous: the signed token is the only credential, no cookie is set or read.
/// <list type="bullet">
/// <item><b>POST</b> with the form body <c>List-Unsubscribe=One-Click</c> (RFC 8058): opts the contact out of the
/// announcement's category by email, at once; a repeat changes nothing and answers 200 again. No page: mail clients
/// send it in the background. The page's own buttons post here too (with <c>page=1</c>, answered with the page; or
/// <c>undo=1</c>, opting back in).</item>
/// <item><b>GET</b>: a minimal server-rendered page in the school's name with one button that unsubscribes.</item>
/// </list>
/// A forged or mangled token is 404 and changes nothing; the answer says nothing of why.
/// </summary>
public static class UnsubscribeApi
{
    public const string Route = "/unsubscribe/{token}";

    public static void MapUnsubscribe(this RouteGroupBuilder callbacks)
    {
        callbacks.MapPost(Route, async (HttpContext http, Unsubscriber unsubscriber, string token) =>
        {
            NoStore(http);
            if (unsubscriber.Find(token) is not { } target) return NotFound();
            IFormCollection form;
            try { form = http.Request.HasFormContentType ? await http.Request.ReadFormAsync(http.RequestAborted) : FormCollection.Empty; }
            catch (Exception e) when (e is InvalidDataException or IOException) { form = FormCollection.Empty; }
            if (form["undo"] == "1")
            {
                unsubscriber.OptBackIn(target);
                return Page(target, unsubscriber.IsOut(target), token, HttpStatusCode.OK);
            }
            if (!string.Equals(form["List-Unsubscribe"], "One-Click", StringComparison.OrdinalIgnoreCase))
                return Problems.Invalid("List-Unsubscribe", "the body must be the form List-Unsubscribe=One-Click (RFC 8058)");
            var fromPage = form["page"] == "1";
            var outcome = unsubscriber.OptOut(target, fromPage ? EventSource.Page : EventSource.Link);
            if (fromPage) return Page(target, unsubscriber.IsOut(target), token, HttpStatusCode.OK);
            return TypedResults.Text(outcome switch
            {
                UnsubscribeOutcome.Essential => "essential messages cannot be unsubscribed from; nothing changed\n",
                UnsubscribeOutcome.ContactGone => "not on the school's contact list; nothing to change\n",
                _ => "unsubscribed\n",
            });
        }).WithBodyLimit(BodyLimits.Callback).WithTags("Unsubscribe")
            .WithSummary("One-click unsubscribe (RFC 8058): body List-Unsubscribe=One-Click; opts out of the announcement's category by email");

        callbacks.MapGet(Route, (HttpContext http, Unsubscriber unsubscriber, string token) =>
        {
            NoStore(http);
            return unsubscriber.Find(token) is { } target
                ? Page(target, unsubscriber.IsOut(target), token, HttpStatusCode.OK)
                : Html(HttpStatusCode.NotFound, "Unsubscribe", "This link is not valid",
                    "<p>This unsubscribe link is not valid (it may have been cut short when it was copied). Nothing was changed. " +
                    "Use the link in the email itself, or contact the school.</p>");
        }).WithTags("Unsubscribe").WithSummary("The unsubscribe page (HTML): one button that unsubscribes, and undo");
    }

    private static IResult NotFound() => TypedResults.Problem("no such unsubscribe link", statusCode: 404, title: "Not found");

    /// <summary>The token in the URL must not leak through a Referer or a cache.</summary>
    private static void NoStore(HttpContext http)
    {
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers["Referrer-Policy"] = "no-referrer";
        http.Response.Headers["X-Robots-Tag"] = "noindex";
    }

    private static IResult Page(UnsubscribeTarget t, bool isOut, string token, HttpStatusCode status)
    {
        var school = E(t.SchoolName);
        var category = E(t.Category);
        string body;
        if (t.Essential)
            body = $"<p>This was an essential message from {school}. Essential messages go to every family and cannot be unsubscribed from.</p>";
        else if (!t.ContactExists)
            body = $"<p>You are no longer on {school}'s contact list: there is nothing to unsubscribe from.</p>";
        else if (isOut)
            body = $"""
                <p role="status">You are unsubscribed from {category} emails from {school}.</p>
                <form method="post">
                  <input type="hidden" name="undo" value="1">
                  <button type="submit">Undo: receive {category} emails again</button>
                </form>
                """;
        else
            body = $"""
                <p>You receive {category} emails from {school}.</p>
                <form method="post">
                  <input type="hidden" name="List-Unsubscribe" value="One-Click">
                  <input type="hidden" name="page" value="1">
                  <button type="submit">Unsubscribe from {category} emails</button>
                </form>
                """;
        return Html(status, t.SchoolName, $"{t.SchoolName}: email preferences", body);
    }

    /// <summary>A whole page: no script, no external resource, system colours with a high contrast.</summary>
    private static IResult Html(HttpStatusCode status, string title, string heading, string body) => TypedResults.Content($$"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{E(title)}}</title>
        <style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#111;background:#fff}button{font-size:1rem;padding:.5rem 1rem}button:focus{outline:3px solid #0b57d0}</style>
        </head>
        <body>
        <main>
        <h1>{{E(heading)}}</h1>
        {{body}}
        </main>
        </body>
        </html>
        """, "text/html; charset=utf-8", System.Text.Encoding.UTF8, (int)status);

    private static string E(string text) => WebUtility.HtmlEncode(text);
}

using Herald.Contacts.Pages;
using Herald.Core.Deliveries;
using Herald.Http;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Herald.Contacts;

/// <summary>
/// <c>/unsubscribe/{token}</c>, the URL in every non-essential email's <c>List-Unsubscribe</c> header and footer
/// (docs/preferences.md). Anonymous: the signed token is the credential.
/// <list type="bullet">
/// <item><b>POST</b> with the form body <c>List-Unsubscribe=One-Click</c> (RFC 8058): opts the contact out of the
/// announcement's category by email, at once; a repeat changes nothing and answers 200 again. No page, no cookie, no
/// anti-forgery token: mail clients send it in the background.</item>
/// <item><b>GET</b>: the preference page (<see cref="PreferencesPage"/>) in the school's name: one button that
/// unsubscribes from the category by email, and a form to choose categories and channels.</item>
/// <item>The page's own forms post here too, each with an anti-forgery token (a cookie and a hidden field, checked
/// before anything changes): <c>page=1</c> (the unsubscribe button), <c>undo=1</c> (back in), <c>save=1</c> (choices,
/// and the undo of a save).</item>
/// </list>
/// A forged or mangled token is 404 and changes nothing; the answer says nothing of why.
/// </summary>
public static class UnsubscribeApi
{
    public const string Route = "/unsubscribe/{token}";

    public static void MapUnsubscribe(this RouteGroupBuilder callbacks)
    {
        callbacks.MapPost(Route, async (HttpContext http, Unsubscriber unsubscriber, ContactStore contacts, IAntiforgery antiforgery, string token) =>
        {
            NoStore(http);
            if (unsubscriber.Find(token) is not { } target) return NotFound();
            IFormCollection form;
            try { form = http.Request.HasFormContentType ? await http.Request.ReadFormAsync(http.RequestAborted) : FormCollection.Empty; }
            catch (Exception e) when (e is InvalidDataException or IOException) { form = FormCollection.Empty; }
            var fromPage = form["page"] == "1" || form["undo"] == "1" || form["save"] == "1" || form["digest"] == "1";
            if (fromPage)
            {
                // The page's forms: a cross-site form must not change a parent's choices (the one-click POST below is
                // the one exception RFC 8058 asks for, and it can only ever unsubscribe).
                if (!await IsValidAsync(antiforgery, http))
                    return Page(http, antiforgery, unsubscriber, target, StatusCodes.Status400BadRequest, refused: true);
                if (form["digest"] == "1") return SaveDigest(http, antiforgery, unsubscriber, contacts, target, form);
                if (form["save"] == "1")
                    return Page(http, antiforgery, unsubscriber, target, saved: unsubscriber.Choose(target, Choices(form, unsubscriber.CategoriesOf(target))));
                if (form["undo"] == "1")
                {
                    unsubscriber.OptBackIn(target);
                    return Page(http, antiforgery, unsubscriber, target);
                }
                unsubscriber.OptOut(target, EventSource.Page);
                return Page(http, antiforgery, unsubscriber, target, justUnsubscribed: true);
            }
            if (!string.Equals(form["List-Unsubscribe"], "One-Click", StringComparison.OrdinalIgnoreCase))
                return Problems.Invalid("List-Unsubscribe", "the body must be the form List-Unsubscribe=One-Click (RFC 8058)");
            var outcome = unsubscriber.OptOut(target, EventSource.Link);
            return TypedResults.Text(outcome switch
            {
                UnsubscribeOutcome.Essential => "essential messages cannot be unsubscribed from; nothing changed\n",
                UnsubscribeOutcome.ContactGone => "not on the school's contact list; nothing to change\n",
                _ => "unsubscribed\n",
            });
        }).WithBodyLimit(BodyLimits.Callback).WithTags("Unsubscribe")
            .WithSummary("One-click unsubscribe (RFC 8058): body List-Unsubscribe=One-Click; opts out of the announcement's category by email");

        callbacks.MapGet(Route, (HttpContext http, Unsubscriber unsubscriber, IAntiforgery antiforgery, string token) =>
        {
            NoStore(http);
            return unsubscriber.Find(token) is { } target
                ? Page(http, antiforgery, unsubscriber, target)
                : new RazorComponentResult<PreferencesPage>(new Dictionary<string, object?> { [nameof(PreferencesPage.Invalid)] = true })
                    { StatusCode = StatusCodes.Status404NotFound };
        }).WithTags("Unsubscribe").WithSummary("The preference page (HTML): unsubscribe from the category by email, undo, choose categories and channels");
    }

    /// <summary>The page's "how often" form: no digest, the school's, or a daily or weekly one at a time of the contact's
    /// choosing. A time that is not one is shown next to the field, with what was typed, and nothing changes.</summary>
    private static IResult SaveDigest(HttpContext http, IAntiforgery antiforgery, Unsubscriber unsubscriber, ContactStore contacts, UnsubscribeTarget t,
        IFormCollection form)
    {
        if (!t.ContactExists) return Page(http, antiforgery, unsubscriber, t);
        string frequency = form["frequency"].ToString(), day = form["day"].ToString(), at = form["at"].ToString().Trim();
        var days = new[] { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };
        var text = frequency switch
        {
            "no" or "yes" => frequency,
            "daily" => $"daily@{at}",
            "weekly" when int.TryParse(day, out var d) && d is >= 0 and <= 6 => $"weekly:{days[d]}@{at}",
            _ => null,
        };
        if (text is null || Core.Digests.DigestChoice.TryParse(text, out _) is not { } choice)
        {
            var problem = text is null ? "Choose how often." : "Write the time as hours and minutes, such as 18:00.";
            return Page(http, antiforgery, unsubscriber, t, StatusCodes.Status400BadRequest,
                digest: new DigestForm(problem, frequency, day, at));
        }
        contacts.SetDigest(t.SchoolId, t.ContactId, choice, EventSource.Page, $"on the preference page of announcement {t.AnnouncementId}");
        return Page(http, antiforgery, unsubscriber, t, digest: new DigestForm(null, null, null, null));
    }

    /// <summary>What the page says about its "how often" form after a post: the problem (and what was typed), or saved.</summary>
    private sealed record DigestForm(string? Problem, string? Frequency, string? Day, string? At);

    private static async Task<bool> IsValidAsync(IAntiforgery antiforgery, HttpContext http)
    {
        try { return await antiforgery.IsRequestValidAsync(http); }
        catch (AntiforgeryValidationException) { return false; }
    }

    /// <summary>The (category, channel) pairs a form decided: each <c>shown</c> pair, received when it is among the ticked
    /// <c>receive</c> pairs. Only the categories the page lists count; anything else in the form is ignored.</summary>
    internal static List<(string Category, Channel Channel, bool Receive)> Choices(IFormCollection form, IReadOnlyList<string> categories)
    {
        var known = categories.ToHashSet(StringComparer.Ordinal);
        var ticked = form["receive"].Select(Parse).OfType<(string, Channel)>().ToHashSet();
        return form["shown"].Select(Parse).OfType<(string Category, Channel Channel)>()
            .Where(p => known.Contains(p.Category)).Distinct()
            .Select(p => (p.Category, p.Channel, ticked.Contains(p))).ToList();
    }

    private static (string Category, Channel Channel)? Parse(string? wire)
    {
        var colon = wire?.IndexOf(':') ?? -1;
        if (colon <= 0) return null;
        var name = wire![..colon];
        foreach (var channel in Enum.GetValues<Channel>())
            if (channel.Name() == name) return (wire[(colon + 1)..], channel);
        return null;
    }

    private static IResult NotFound() => TypedResults.Problem("no such unsubscribe link", statusCode: 404, title: "Not found");

    /// <summary>The token in the URL must not leak through a Referer or a cache.</summary>
    private static void NoStore(HttpContext http)
    {
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers["Referrer-Policy"] = "no-referrer";
        http.Response.Headers["X-Robots-Tag"] = "noindex";
    }

    private static IResult Page(HttpContext http, IAntiforgery antiforgery, Unsubscriber unsubscriber, UnsubscribeTarget t,
        int status = StatusCodes.Status200OK, bool refused = false, bool justUnsubscribed = false,
        IReadOnlyList<(string Category, Channel Channel, bool Receive)>? saved = null, DigestForm? digest = null)
    {
        var tokens = antiforgery.GetAndStoreTokens(http);
        // GetAndStoreTokens sets its own Cache-Control; the page keeps no-store.
        NoStore(http);
        var categories = t.ContactExists ? unsubscriber.CategoriesOf(t) : [];
        var clock = unsubscriber.DigestOf(t);
        return new RazorComponentResult<PreferencesPage>(new Dictionary<string, object?>
        {
            [nameof(PreferencesPage.Refused)] = refused,
            [nameof(PreferencesPage.SchoolName)] = t.SchoolName,
            [nameof(PreferencesPage.Category)] = t.Named,
            [nameof(PreferencesPage.Essential)] = t.Essential,
            [nameof(PreferencesPage.ContactExists)] = t.ContactExists,
            [nameof(PreferencesPage.IsOut)] = t.ContactExists && unsubscriber.IsOut(t),
            [nameof(PreferencesPage.JustUnsubscribed)] = justUnsubscribed,
            [nameof(PreferencesPage.Categories)] = categories,
            [nameof(PreferencesPage.Receiving)] = unsubscriber.Receiving(t, categories),
            [nameof(PreferencesPage.Saved)] = saved,
            [nameof(PreferencesPage.Token)] = tokens.RequestToken,
            [nameof(PreferencesPage.TokenField)] = tokens.FormFieldName,
            [nameof(PreferencesPage.Digest)] = clock.Choice,
            [nameof(PreferencesPage.SchoolDigest)] = clock.SchoolDigest,
            [nameof(PreferencesPage.TimeZone)] = clock.TimeZone,
            [nameof(PreferencesPage.DigestSaved)] = digest is { Problem: null },
            [nameof(PreferencesPage.DigestProblem)] = digest?.Problem,
            [nameof(PreferencesPage.TypedFrequency)] = digest?.Frequency,
            [nameof(PreferencesPage.TypedDay)] = digest?.Day,
            [nameof(PreferencesPage.TypedAt)] = digest?.At,
        }) { StatusCode = status };
    }
}

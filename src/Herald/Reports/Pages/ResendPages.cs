using System.Globalization;
using Herald.Announcements;
using Herald.Contacts;
using Herald.Schools;
using Herald.Staff;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Localization;

namespace Herald.Reports.Pages;

/// <summary>What the report's resend form asks for: statuses, or recipients (contact ids), and the channel.</summary>
/// <param name="Channel"><c>both</c>, <c>email</c> or <c>sms</c>.</param>
/// <param name="Error">Why the choice was refused, shown next to the form.</param>
public sealed record ResendChoice(IReadOnlyList<string> Statuses, IReadOnlyList<long> Contacts, string Channel, string? Error = null)
{
    public static readonly ResendChoice None = new([], [], "both");

    public static ResendChoice Read(IFormCollection f) => new(
        f["statuses"].OfType<string>().Where(s => s.Length > 0).Distinct().ToList(),
        f["contacts"].Select(c => long.TryParse(c, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : (long?)null)
            .OfType<long>().Distinct().ToList(),
        f["channel"].ToString() is "email" or "sms" ? f["channel"].ToString() : "both");

    /// <summary>The API's resend input for this choice (exactly one of statuses and contacts must be given).</summary>
    public ResendInput ToInput(string by, bool dryRun) => new(Statuses.Count > 0 ? Statuses : null, Contacts.Count > 0 ? Contacts : null,
        Channel == "both" ? null : [Channel], Force: false, DryRun: dryRun, By: by);
}

/// <summary>
/// Resending from the report (<c>POST /announcements/{id}/resend</c>) in two steps: <c>step=check</c> answers the
/// API's dry run (<see cref="Resender"/>, the same work rolled back) on a confirmation page, and <c>step=confirm</c>
/// resends, with an idempotency key the check page made (a double click on Confirm replays the first answer instead of
/// resending twice), then goes back to the report. Logged with the signed-in person's name as who resent.
/// </summary>
public static class ResendPages
{
    public static void MapResendPages(this IEndpointRouteBuilder app)
    {
        var pages = app.MapGroup("").ExcludeFromDescription().RequireAuthorization(StaffSignIn.Policy);

        pages.MapPost("/announcements/{id:long}/resend", IResult (HttpContext http, IAntiforgery antiforgery, ReportQueries reports, SchoolStore schools,
            AnnouncementStore store, ContactStore contacts, Resender resender, IStringLocalizer<ReportText> t, long id, IFormCollection form) =>
        {
            if (ReportPages.Owner(http, reports, id) is not { } sid || schools.Get(sid) is not { } s || store.Get(s.Id, id) is not { } a)
                return ReportPages.NotFound();
            var choice = ResendChoice.Read(form);
            IResult Refuse(string why, int code) => ReportPages.Render(http, antiforgery, reports, s, id, null, null, null, null,
                ReportNotice.None, choice with { Error = why }, code)!;
            if (a.State != "sent") return Refuse(t["This announcement has not been sent yet: send it first."], StatusCodes.Status409Conflict);
            if (choice.Statuses.Count == 0 && choice.Contacts.Count == 0)
                return Refuse(t["Choose at least one status, or tick recipients in the table, to resend to."], StatusCodes.Status400BadRequest);
            if (choice.Statuses.Count > 0 && choice.Contacts.Count > 0)
                return Refuse(t["Choose statuses or recipients, not both."], StatusCodes.Status400BadRequest);
            var by = StaffSignIn.Who(http.User);
            try
            {
                if (form["step"] == "confirm")
                {
                    var key = form["key"].ToString();
                    var done = resender.Resend(s, a, choice.ToInput(by, false), key is { Length: > 0 and <= 100 } ? new ResendKey(PageKeyId, key) : null);
                    return TypedResults.LocalRedirect($"/announcements/{id}?resent={done.Resent}");
                }
                var dry = resender.Resend(s, a, choice.ToInput(by, true), null);
                var tokens = antiforgery.GetAndStoreTokens(http);
                return new RazorComponentResult<ResendPage>(new Dictionary<string, object?>
                {
                    [nameof(ResendPage.Subject)] = a.Subject,
                    [nameof(ResendPage.AnnouncementId)] = a.Id,
                    [nameof(ResendPage.Choice)] = choice,
                    [nameof(ResendPage.Result)] = dry,
                    [nameof(ResendPage.Names)] = contacts.Names(dry.Skipped.Select(k => k.ContactId).Distinct().Take(ResendPage.MaxSkippedShown).ToList()),
                    [nameof(ResendPage.Key)] = $"page-{Guid.NewGuid():N}",
                    [nameof(ResendPage.Token)] = tokens.RequestToken,
                    [nameof(ResendPage.TokenField)] = tokens.FormFieldName,
                });
            }
            catch (Resender.Invalid e)
            {
                return Refuse(t["This resend was refused: {0}", e.Message], StatusCodes.Status400BadRequest);
            }
            catch (Resender.KeyReused e)
            {
                return Refuse(t["This resend was refused: {0}", e.Message], StatusCodes.Status400BadRequest);
            }
        });
    }

    /// <summary>The pages' scope of resend idempotency keys. API keys' ids start at 1 and the command line uses 0; the
    /// pages' keys are random (<c>page-…</c>), made for one confirmation form.</summary>
    private const long PageKeyId = -1;
}

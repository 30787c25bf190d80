using Herald.Contacts;
using Herald.Email;
using Herald.Http;
using Herald.Reports;
using Herald.Reports.Pages;
using Herald.Schools;
using Herald.Staff;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Herald.Announcements.Pages;

/// <summary>
/// Writing and sending an announcement from the browser: the composer (<c>/announcements/new</c>), which makes a draft
/// through <see cref="AnnouncementDrafts"/> as the API does; the draft's preview with the reach check
/// (<c>/announcements/{id}/preview</c>); and its send, through <see cref="AnnouncementSender"/> as the API does. Staff
/// work in their own school; support name the school (<c>?school=ID</c>, a hidden field on the form). Another school's
/// draft is the same 404 as one that does not exist. Every POST carries its anti-forgery token (an
/// <see cref="IFormCollection"/> parameter makes the endpoint require it).
/// </summary>
public static class ComposerPages
{
    public static void MapComposerPages(this IEndpointRouteBuilder app)
    {
        var pages = app.MapGroup("/announcements").ExcludeFromDescription().RequireAuthorization(StaffSignIn.Policy);

        pages.MapGet("/new", IResult (HttpContext http, IAntiforgery antiforgery, SchoolStore schools, AnnouncementDrafts drafts, SenderOptions sender,
            string? school) =>
        {
            if (SchoolFor(http, schools, school) is { } s)
                return Composer(http, antiforgery, s, drafts, sender, ComposeForm.Empty, [], false);
            // Support without a school yet choose one first; staff always have theirs.
            return ReportPages.IsSupport(http) && school is null
                ? new RazorComponentResult<ComposePage>(new Dictionary<string, object?> { [nameof(ComposePage.Schools)] = schools.List() })
                : ReportPages.NotFound();
        });

        pages.MapPost("/new", IResult (HttpContext http, IAntiforgery antiforgery, SchoolStore schools, ContactStore contacts, AnnouncementDrafts drafts,
            SenderOptions sender, IFormCollection form) =>
        {
            if (SchoolFor(http, schools, form["school"]) is not { } s) return ReportPages.NotFound();
            var f = ComposeForm.Read(form);
            // "Count the SMS parts" only shows the form again with its count: nothing is saved.
            if (form["action"] == "count") return Composer(http, antiforgery, s, drafts, sender, f, [], true);
            var (input, problems) = f.ToInput(s.Id, contacts);
            // The page's own audience problems say more than the rules' "audience is required" for the same box.
            var pageProblems = problems.Count > 0;
            problems.AddRange(drafts.Validate(s.Id, input).Where(p => !(pageProblems && p.Field.StartsWith("audience", StringComparison.Ordinal))));
            var (draft, refused) = problems.Count > 0 ? (null, problems) : drafts.Create(s.Id, input);
            if (draft is null) return Composer(http, antiforgery, s, drafts, sender, f, refused, true, StatusCodes.Status400BadRequest);
            return TypedResults.LocalRedirect($"/announcements/{draft.Id}/preview");
        });

        pages.MapGet("/{id:long}/preview", IResult (HttpContext http, IAntiforgery antiforgery, ReportQueries reports, SchoolStore schools,
            AnnouncementStore store, ReachCheck reach, MessageBuilder builder, AnnouncementDrafts drafts, long id) =>
        {
            if (Draft(http, reports, schools, store, id) is not ({ } s, { } a)) return ReportPages.NotFound();
            var tokens = antiforgery.GetAndStoreTokens(http);
            var smsBody = a.SmsText ?? a.Text;
            return new RazorComponentResult<PreviewPage>(new Dictionary<string, object?>
            {
                [nameof(PreviewPage.School)] = s,
                [nameof(PreviewPage.Announcement)] = a,
                [nameof(PreviewPage.Mail)] = builder.Preview(s, a),
                [nameof(PreviewPage.SmsBody)] = smsBody,
                [nameof(PreviewPage.Sms)] = smsBody is null ? null : Core.Sms.SmsText.Measure(smsBody),
                [nameof(PreviewPage.SmsMaxParts)] = drafts.SmsMaxParts,
                [nameof(PreviewPage.Reach)] = reach.Check(s, id),
                [nameof(PreviewPage.Support)] = ReportPages.IsSupport(http),
                [nameof(PreviewPage.Token)] = tokens.RequestToken,
                [nameof(PreviewPage.TokenField)] = tokens.FormFieldName,
            });
        });

        pages.MapPost("/{id:long}/send", IResult (HttpContext http, ReportQueries reports, SchoolStore schools, AnnouncementStore store,
            AnnouncementSender sender, long id, IFormCollection form) =>
        {
            if (Draft(http, reports, schools, store, id) is not ({ } s, not null)) return ReportPages.NotFound();
            // The sender claims the draft first, so a double click sends once; the second click learns it was sent.
            try
            {
                sender.Send(s, id);
                return TypedResults.LocalRedirect($"/announcements/{id}?sent=now");
            }
            catch (AnnouncementSender.AlreadySent)
            {
                return TypedResults.LocalRedirect($"/announcements/{id}?sent=already");
            }
        });
    }

    /// <summary>The school the signed-in person composes for: staff their own, support the one they chose.</summary>
    private static School? SchoolFor(HttpContext http, SchoolStore schools, string? chosen) =>
        (ReportPages.IsSupport(http) ? ReportPages.ParseId(chosen) : ReportPages.ClaimedSchool(http)) is { } id ? schools.Get(id) : null;

    /// <summary>The announcement and its school, when the signed-in person may see it.</summary>
    private static (School?, Announcement?) Draft(HttpContext http, ReportQueries reports, SchoolStore schools, AnnouncementStore store, long id) =>
        ReportPages.Owner(http, reports, id) is { } sid && schools.Get(sid) is { } s && store.Get(s.Id, id) is { } a ? (s, a) : (null, null);

    private static RazorComponentResult<ComposePage> Composer(HttpContext http, IAntiforgery antiforgery, School school, AnnouncementDrafts drafts,
        SenderOptions sender, ComposeForm form, IReadOnlyList<FieldProblem> problems, bool submitted, int status = StatusCodes.Status200OK)
    {
        var tokens = antiforgery.GetAndStoreTokens(http);
        return new RazorComponentResult<ComposePage>(new Dictionary<string, object?>
        {
            [nameof(ComposePage.School)] = school,
            [nameof(ComposePage.Support)] = ReportPages.IsSupport(http),
            [nameof(ComposePage.Form)] = form,
            [nameof(ComposePage.Problems)] = problems.GroupBy(form.FieldOf).ToDictionary(g => g.Key, g => g.Select(p => p.Message).ToList()),
            [nameof(ComposePage.Submitted)] = submitted,
            [nameof(ComposePage.SmsMaxParts)] = drafts.SmsMaxParts,
            [nameof(ComposePage.DefaultFrom)] = $"{sender.DefaultFromName} <{sender.DefaultFromAddress}>",
            [nameof(ComposePage.Token)] = tokens.RequestToken,
            [nameof(ComposePage.TokenField)] = tokens.FormFieldName,
        }) { StatusCode = status };
    }
}

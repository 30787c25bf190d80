using System.Globalization;
using System.Security.Claims;
using CsvHelper;
using CsvHelper.Configuration;
using Herald.Core.Deliveries;
using Herald.Core.Reports;
using Herald.Schools;
using Herald.Staff;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Localization;

namespace Herald.Reports.Pages;

/// <summary>
/// The staff pages of this capability: the school's announcements, one line of outcome each, and an announcement's
/// statistics report (chart, guidance per status, recipients filtered and searched, CSV). They only read, through
/// <see cref="ReportQueries"/>. Staff see their own school; support (no school on their sign-in) pick one with
/// <c>?school=ID</c>. Another school's announcement is a 404, the same answer as one that does not exist.
/// </summary>
public static class ReportPages
{
    public const int PageSize = 50;
    private const int MaxPage = 100_000;

    public static void MapReportPages(this IEndpointRouteBuilder app)
    {
        var pages = app.MapGroup("").ExcludeFromDescription().RequireAuthorization(StaffSignIn.Policy);

        pages.MapGet("/announcements", IResult (HttpContext http, ReportQueries reports, SchoolStore schools, string? school, string? q, int? page) =>
        {
            var support = IsSupport(http);
            var schoolId = support ? ParseId(school) : ClaimedSchool(http);
            if (schoolId is null)
            {
                if (!support) return NotFound();
                // Support without a school yet: the list of schools to choose from.
                return new RazorComponentResult<AnnouncementsPage>(new Dictionary<string, object?>
                {
                    [nameof(AnnouncementsPage.Schools)] = schools.List(),
                    [nameof(AnnouncementsPage.Support)] = true,
                });
            }
            if (schools.Get(schoolId.Value) is not { } s) return NotFound();
            var list = reports.Announcements(s.Id, q, Page(page), PageSize);
            return new RazorComponentResult<AnnouncementsPage>(new Dictionary<string, object?>
            {
                [nameof(AnnouncementsPage.School)] = s,
                [nameof(AnnouncementsPage.Support)] = support,
                [nameof(AnnouncementsPage.Search)] = q,
                [nameof(AnnouncementsPage.List)] = list,
            });
        });

        pages.MapGet("/announcements/{id:long}", IResult (HttpContext http, IAntiforgery antiforgery, ReportQueries reports, SchoolStore schools, long id,
            string? status, string? channel, string? q, int? page, string? sent, int? resent) =>
        {
            if (Owner(http, reports, id) is not { } schoolId || schools.Get(schoolId) is not { } s) return NotFound();
            var done = new ReportNotice(sent is "now" or "already" ? sent : null, resent is >= 0 ? resent : null);
            return (IResult?)Render(http, antiforgery, reports, s, id, status, channel, q, page, done, ResendChoice.None) ?? NotFound();
        });

        pages.MapGet("/announcements/{id:long}/report.csv", IResult (HttpContext http, ReportQueries reports, IStringLocalizer<ReportText> t, long id,
            string? status, string? channel, string? q) =>
        {
            if (Owner(http, reports, id) is not { } schoolId) return NotFound();
            var st = Wire.TryParseStatus(status, out var x) ? x : (DeliveryStatus?)null;
            var ch = Wire.TryParseChannel(channel, out var y) ? y : (Channel?)null;
            if (reports.Report(schoolId, id, st, ch, 1, 1, q) is null) return NotFound();
            return Results.Stream(async body =>
            {
                await using var w = new StreamWriter(body, new System.Text.UTF8Encoding(false));
                // Escape: a cell that starts with = + - @ (or a tab or carriage return) gets a leading ' so a spreadsheet
                // shows it as text instead of running it as a formula (an address or a provider's answer is untrusted).
                await using var csv = new CsvWriter(w, new CsvConfiguration(CultureInfo.InvariantCulture) { InjectionOptions = InjectionOptions.Escape });
                foreach (var h in new[] { "name", "channel", "address", "status", "since_utc", "provider_answer", "explanation", "action", "queued_too_long", "attempt", "fallback" })
                    csv.WriteField(h);
                await csv.NextRecordAsync();
                for (var p = 1; ; p++)
                {
                    var r = reports.Report(schoolId, id, st, ch, p, 1000, q)!;
                    foreach (var l in r.Recipients.Items)
                    {
                        var g = Guidance(l);
                        csv.WriteField(l.ContactName ?? "");
                        csv.WriteField(l.Channel);
                        csv.WriteField(l.Address ?? "");
                        csv.WriteField(l.Status);
                        csv.WriteField(Utc(l.At));
                        csv.WriteField(l.Reason ?? "");
                        csv.WriteField(t[g.Explanation].Value);
                        csv.WriteField(g.Action is null ? "" : t[g.Action].Value);
                        csv.WriteField(l.QueuedTooLong ? "yes" : "no");
                        csv.WriteField(l.Attempt);
                        csv.WriteField(l.Fallback ? "yes" : "no");
                        await csv.NextRecordAsync();
                    }
                    if (r.Recipients.Items.Count < 1000) break;
                }
            }, "text/csv; charset=utf-8", $"announcement-{id}-report.csv");
        });
    }

    /// <summary>The report page, with what was just done (sent, resent) or the resend form's choice and its problem.</summary>
    /// <returns>Null when the announcement is not this school's.</returns>
    internal static RazorComponentResult<ReportPage>? Render(HttpContext http, IAntiforgery antiforgery, ReportQueries reports, School s, long id,
        string? status, string? channel, string? q, int? page, ReportNotice notice, ResendChoice resend, int code = StatusCodes.Status200OK)
    {
        var st = Wire.TryParseStatus(status, out var x) ? x : (DeliveryStatus?)null;
        var ch = Wire.TryParseChannel(channel, out var y) ? y : (Channel?)null;
        if (reports.Report(s.Id, id, st, ch, Page(page), PageSize, q) is not { } report) return null;
        var tokens = antiforgery.GetAndStoreTokens(http);
        return new RazorComponentResult<ReportPage>(new Dictionary<string, object?>
        {
            [nameof(ReportPage.School)] = s,
            [nameof(ReportPage.Support)] = IsSupport(http),
            [nameof(ReportPage.Report)] = report,
            [nameof(ReportPage.Status)] = st?.Name(),
            [nameof(ReportPage.Channel)] = ch?.Name(),
            [nameof(ReportPage.Search)] = q,
            [nameof(ReportPage.Notice)] = notice,
            [nameof(ReportPage.Resend)] = resend,
            [nameof(ReportPage.Token)] = tokens.RequestToken,
            [nameof(ReportPage.TokenField)] = tokens.FormFieldName,
        }) { StatusCode = code };
    }

    /// <summary>The guidance for a recipient's line: the status's own, or "contact support" when queued too long.</summary>
    public static Guidance Guidance(RecipientLine l) =>
        l.QueuedTooLong ? StaffGuidance.StuckInQueue : StaffGuidance.For(Wire.ParseStatus(l.Status));

    /// <summary>Dates as ISO <c>yyyy-MM-dd HH:mm</c> in UTC, for the CSV export (its column says <c>since_utc</c>):
    /// spreadsheets and scripts read it the same in every language. Pages use <see cref="Herald.Pages.PageDates"/>.</summary>
    public static string Utc(DateTimeOffset? at) =>
        at is { } a ? a.ToUniversalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : "";

    internal static bool IsSupport(HttpContext http) => http.User.FindFirstValue(ClaimTypes.Role) == "support";

    internal static long? ClaimedSchool(HttpContext http) =>
        long.TryParse(http.User.FindFirstValue("herald:school"), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : null;

    internal static long? ParseId(string? text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;

    /// <summary>The school whose announcement this is, as the signed-in person may see it: staff only their own school's
    /// (the report's query checks the school), support any.</summary>
    internal static long? Owner(HttpContext http, ReportQueries reports, long id) =>
        IsSupport(http) ? reports.SchoolOf(id) : ClaimedSchool(http);

    private static int Page(int? page) => Math.Clamp(page ?? 1, 1, MaxPage);

    internal static RazorComponentResult<ReportNotFoundPage> NotFound() => new(new Dictionary<string, object?>()) { StatusCode = StatusCodes.Status404NotFound };
}

/// <summary>What the report says first after a redirect: <c>sent</c> is <c>now</c> (this send) or <c>already</c> (a
/// second click, or someone else, had sent it); <c>Resent</c> is how many deliveries a confirmed resend restarted.</summary>
public sealed record ReportNotice(string? Sent, int? Resent)
{
    public static readonly ReportNotice None = new(null, null);
}

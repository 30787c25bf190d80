using System.Globalization;
using System.Security.Claims;
using Herald.Core.Deliveries;
using Herald.Schools;
using Herald.Staff;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Localization;

namespace Herald.Addresses.Pages;

/// <summary>
/// The support console, for the operator's support team only: an address or number searched across every school (its
/// state, reason, since and history in each), its reset with a mandatory reason (through <see cref="AddressReset"/>, so
/// the address history and the contacts' logs say who and why), and the queue monitor. Not signed in: the sign-in
/// redirect; signed in as a school's staff: 403, a page saying the console is for support.
/// </summary>
public static class SupportConsole
{
    public static void MapSupportConsole(this IEndpointRouteBuilder app)
    {
        // The policy checks the role before anything of the request is bound (a staff member's POST is refused unread).
        var pages = app.MapGroup("/support").ExcludeFromDescription().RequireAuthorization(StaffSignIn.SupportPolicy)
            .WithMetadata(new ForbiddenPage(typeof(SupportForbiddenPage)));

        pages.MapGet("", (HttpContext http, IAntiforgery antiforgery, AddressReset reset, SupportQueries queries, string? q, string? channel) =>
            Search(http, antiforgery, reset, queries, q, channel, null, null, null));

        pages.MapPost("/reset", (HttpContext http, IAntiforgery antiforgery, AddressReset reset, SupportQueries queries, SchoolStore schools,
            IStringLocalizer<SupportText> t, [FromForm] string? address, [FromForm] string? channel, [FromForm] string? school,
            [FromForm] string? why, [FromForm] string? allSchools) =>
        {
            var ch = Wire.TryParseChannel(channel, out var c) ? c : Channel.Email;
            var schoolId = long.TryParse(school, NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : (long?)null;
            var all = allSchools == "yes";
            if (string.IsNullOrWhiteSpace(address) || schoolId is null || schools.Get(schoolId.Value) is null)
                return Search(http, antiforgery, reset, queries, address, ch.Name(), null, null, t["Choose an address and a school to reset."].Value,
                    StatusCodes.Status400BadRequest);
            if (string.IsNullOrWhiteSpace(why))
                return Search(http, antiforgery, reset, queries, address, ch.Name(), schoolId, null,
                    t["Say why the address is reset: the reason is required and goes into the address history and the contacts' logs."].Value,
                    StatusCodes.Status400BadRequest, all);
            var by = StaffSignIn.Who(http.User);
            var normalised = AddressReset.Normalise(address, ch);
            var r = reset.Reset(normalised, ch, by, why.Trim(), all ? null : schoolId, all);
            var done = r.Schools.Count == 0
                ? t["Nothing to reset: the address is not failed or suppressed there."].Value
                : t["Reset in {0} school(s). It can be used again.", r.Schools.Count].Value;
            return Search(http, antiforgery, reset, queries, address, ch.Name(), null, done, null);
        });

        pages.MapGet("/queue", (SupportQueries queries, SchoolStore schools, string? school) =>
        {
            var id = long.TryParse(school, NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : (long?)null;
            var chosen = id is { } x ? schools.Get(x) : null;
            return new RazorComponentResult<QueuePage>(new Dictionary<string, object?>
            {
                [nameof(QueuePage.Schools)] = schools.List(),
                [nameof(QueuePage.School)] = chosen,
                [nameof(QueuePage.Monitor)] = queries.Queue(chosen?.Id),
            });
        });
    }

    private static IResult Search(HttpContext http, IAntiforgery antiforgery, AddressReset reset, SupportQueries queries, string? q, string? channel,
        long? errorSchool, string? done, string? error, int status = StatusCodes.Status200OK, bool allSchools = false)
    {
        var ch = Wire.TryParseChannel(channel, out var c) ? c : (q is { } t && !t.Contains('@') && t.Any(char.IsDigit) ? Channel.Sms : Channel.Email);
        // A number as people type it ("+44 7700 900123", "(0)"-less): spaces, dashes, dots and brackets go first, since a
        // number without a region is otherwise kept as typed and would match nothing.
        var typed = ch == Channel.Sms && q is not null ? System.Text.RegularExpressions.Regex.Replace(q, @"[\s\-.()]", "") : q?.Trim();
        var address = string.IsNullOrWhiteSpace(typed) ? null : AddressReset.Normalise(typed, ch);
        var tokens = antiforgery.GetAndStoreTokens(http);
        return new RazorComponentResult<SupportPage>(new Dictionary<string, object?>
        {
            [nameof(SupportPage.Query)] = q,
            [nameof(SupportPage.Channel)] = ch.Name(),
            [nameof(SupportPage.Address)] = address,
            [nameof(SupportPage.Results)] = address is null ? null : queries.Find(address, ch, reset.States(address, ch)),
            [nameof(SupportPage.Done)] = done,
            [nameof(SupportPage.Error)] = error,
            [nameof(SupportPage.ErrorSchool)] = errorSchool,
            [nameof(SupportPage.AllSchools)] = allSchools,
            [nameof(SupportPage.Token)] = tokens.RequestToken,
            [nameof(SupportPage.TokenField)] = tokens.FormFieldName,
        }) { StatusCode = status };
    }

    public static bool IsSupport(HttpContext http) => http.User.FindFirstValue(ClaimTypes.Role) == "support";

    /// <summary>Dates as ISO <c>yyyy-MM-dd HH:mm</c> UTC, like the report (Herald runs with invariant globalization).</summary>
    public static string Utc(DateTimeOffset? at) =>
        at is { } a ? a.ToUniversalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : "";

    /// <summary>An age as "2 h 05 min" or "12 min".</summary>
    public static string Age(TimeSpan age) => age.TotalHours >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{(long)age.TotalHours} h {age.Minutes:00} min")
        : string.Create(CultureInfo.InvariantCulture, $"{(long)age.TotalMinutes} min");
}

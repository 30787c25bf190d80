using System.Globalization;
using System.Security.Claims;
using Dapper;
using Herald.Addresses;
using Herald.Core.Deliveries;
using Herald.Http;
using Herald.Reports;
using Herald.Schools;
using Herald.Staff;
using Herald.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Herald.Contacts.Pages;

/// <summary>An address or number marked failed or suppressed in this school: the red cross on the contact page.</summary>
public sealed record AddressMark(string Channel, string Address, string State, string? Reason, DateTimeOffset Since);

/// <summary>
/// The staff pages of a school's contacts: the list (searched by name, email or number, paged) and a contact's page
/// (profile, the red cross on a failed or suppressed address with why and since when, and the full log newest first).
/// They only read: contacts through <see cref="ContactStore"/>, the log through <see cref="ReportQueries.Log"/>, address
/// states through <see cref="AddressReset.States"/>. Staff see their own school; support pick one with <c>?school=ID</c>.
/// Another school's contact is a 404, the same answer as one that does not exist.
/// </summary>
public static class ContactPages
{
    public const int PageSize = 50;
    private const int MaxPage = 100_000;

    public static void MapContactPages(this IEndpointRouteBuilder app)
    {
        var pages = app.MapGroup("").ExcludeFromDescription().RequireAuthorization(StaffSignIn.Policy);

        pages.MapGet("/contacts", IResult (HttpContext http, Database db, ContactStore contacts, SchoolStore schools, string? school, string? q, int? page) =>
        {
            var support = IsSupport(http);
            var schoolId = support ? ParseId(school) : ClaimedSchool(http);
            if (schoolId is null)
            {
                if (!support) return NotFound();
                return new RazorComponentResult<ContactsPage>(new Dictionary<string, object?>
                {
                    [nameof(ContactsPage.Schools)] = schools.List(),
                    [nameof(ContactsPage.Support)] = true,
                });
            }
            if (schools.Get(schoolId.Value) is not { } s) return NotFound();
            return new RazorComponentResult<ContactsPage>(new Dictionary<string, object?>
            {
                [nameof(ContactsPage.School)] = s,
                [nameof(ContactsPage.Support)] = support,
                [nameof(ContactsPage.Search)] = q,
                [nameof(ContactsPage.List)] = Search(db, contacts, s.Id, q, Page(page), PageSize),
            });
        });

        pages.MapGet("/contacts/{id:long}", IResult (HttpContext http, Database db, ContactStore contacts, ReportQueries reports,
            AddressReset addresses, SchoolStore schools, long id, int? page) =>
        {
            var schoolId = IsSupport(http) ? SchoolOf(db, id) : ClaimedSchool(http);
            if (schoolId is null || schools.Get(schoolId.Value) is not { } s) return NotFound();
            if (contacts.Get(s.Id, id) is not { } contact) return NotFound();
            var log = NewestFirst(reports, s.Id, id, Page(page), PageSize);
            var marks = new List<AddressMark>();
            foreach (var (channel, address) in new[] { (Channel.Email, contact.Email), (Channel.Sms, contact.Mobile) })
            {
                if (string.IsNullOrWhiteSpace(address)) continue;
                foreach (var st in addresses.States(AddressReset.Normalise(address, channel), channel).Where(x => x.SchoolId == s.Id))
                    marks.Add(new AddressMark(channel.Name(), address, st.State, st.Reason, st.Since));
            }
            return new RazorComponentResult<ContactPage>(new Dictionary<string, object?>
            {
                [nameof(ContactPage.School)] = s,
                [nameof(ContactPage.Support)] = IsSupport(http),
                [nameof(ContactPage.Contact)] = contact,
                [nameof(ContactPage.Marks)] = marks,
                [nameof(ContactPage.Log)] = log,
            });
        });
    }

    /// <summary>One page of a contact's full log, newest first. The stored log reads oldest first, so newest-first page
    /// <paramref name="page"/> is cut from the (at most two) stored pages it straddles and reversed.</summary>
    public static PagedList<LogEntry> NewestFirst(ReportQueries reports, long schoolId, long contactId, int page, int pageSize)
    {
        var total = reports.Log(schoolId, contactId, 1, 1)?.Total ?? 0;
        var pages = Math.Max(1, (total + pageSize - 1) / pageSize);
        page = (int)Math.Min(page, pages);
        var hi = total - (long)(page - 1) * pageSize; // exclusive, counted from the oldest
        var lo = Math.Max(0, hi - pageSize);
        var items = new List<LogEntry>();
        if (hi > lo)
        {
            var first = (int)(lo / pageSize) + 1;
            var last = (int)((hi - 1) / pageSize) + 1;
            for (var k = first; k <= last; k++)
            {
                var stored = reports.Log(schoolId, contactId, k, pageSize)!;
                var start = (long)(k - 1) * pageSize;
                items.AddRange(stored.Items.Where((_, i) => start + i >= lo && start + i < hi));
            }
        }
        items.Reverse();
        return new(page, pageSize, total, items);
    }

    /// <summary>A school's contacts, by name; <paramref name="search"/> matches part of the name, email or mobile
    /// (case-insensitive, LIKE's wildcards taken as text).</summary>
    public static PagedList<ContactView> Search(Database db, ContactStore contacts, long schoolId, string? search, int page, int pageSize)
    {
        var q = Pattern(search);
        using var c = db.Open();
        var where = "school_id = @schoolId" + (q is null ? ""
            : " AND (LOWER(name) LIKE @q ESCAPE '\\' OR LOWER(email) LIKE @q ESCAPE '\\' OR mobile LIKE @q ESCAPE '\\' OR LOWER(external_id) LIKE @q ESCAPE '\\')");
        var args = new { schoolId, q, pageSize, offset = (long)(page - 1) * pageSize };
        var total = c.ExecuteScalar<long>($"SELECT COUNT(*) FROM contacts WHERE {where}", args);
        var ids = c.Query<long>($"SELECT id FROM contacts WHERE {where} ORDER BY LOWER(name), id LIMIT @pageSize OFFSET @offset", args).ToList();
        return new(page, pageSize, total, ids.Select(id => contacts.Get(schoolId, id)).OfType<ContactView>().ToList());
    }

    /// <summary>Dates as ISO <c>yyyy-MM-dd HH:mm:ss</c> in UTC (Herald runs with invariant globalization).</summary>
    public static string Utc(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    private static string? Pattern(string? search) => string.IsNullOrWhiteSpace(search) ? null
        : "%" + search.Trim().ToLowerInvariant().Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal)
            .Replace("_", "\\_", StringComparison.Ordinal) + "%";

    private static long? SchoolOf(Database db, long contactId)
    {
        using var c = db.Open();
        return c.QuerySingleOrDefault<long?>("SELECT school_id FROM contacts WHERE id = @contactId", new { contactId });
    }

    private static bool IsSupport(HttpContext http) => http.User.FindFirstValue(ClaimTypes.Role) == "support";

    private static long? ClaimedSchool(HttpContext http) =>
        long.TryParse(http.User.FindFirstValue("herald:school"), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : null;

    private static long? ParseId(string? text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;

    private static int Page(int? page) => Math.Clamp(page ?? 1, 1, MaxPage);

    private static RazorComponentResult<ContactNotFoundPage> NotFound() => new(new Dictionary<string, object?>()) { StatusCode = StatusCodes.Status404NotFound };
}

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
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Localization;

namespace Herald.Contacts.Pages;

/// <summary>An address or number marked failed or suppressed in this school: the red cross on the contact page.</summary>
public sealed record AddressMark(string Channel, string Address, string State, string? Reason, DateTimeOffset Since);

/// <summary>A "fix address" form sent back after a refusal: what was typed, and the message for each field.</summary>
public sealed record AddressFixForm(string Channel, string? Value, string? Why, string? ValueError, string? WhyError);

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

        pages.MapGet("/contacts/{id:long}", IResult (HttpContext http, IAntiforgery antiforgery, Database db, ContactStore contacts, ReportQueries reports,
            AddressReset addresses, SchoolStore schools, long id, int? page, string? @fixed) =>
        {
            if (Find(http, db, contacts, schools, id) is not var (s, contact)) return NotFound();
            var done = @fixed is "email" or "sms" ? @fixed : null;
            return Show(http, antiforgery, reports, addresses, s, contact, Page(page), null, done);
        });

        // "Fix address": staff of the school (or support) change the email or mobile with a mandatory reason. The address
        // is checked by the API's rules (ContactRules.Address, with the school's region for numbers); the change and its
        // event in the full log (who and why) are one transaction (ContactStore.FixAddress). A refused fix shows the page
        // again with the message next to the field and what was typed; a done one redirects (a reload does not repeat it).
        pages.MapPost("/contacts/{id:long}/address", IResult (HttpContext http, IAntiforgery antiforgery, Database db, ContactStore contacts,
            ReportQueries reports, AddressReset addresses, SchoolStore schools, IStringLocalizer<ContactText> t, long id,
            [FromForm] string? channel, [FromForm] string? value, [FromForm] string? why) =>
        {
            if (Find(http, db, contacts, schools, id) is not var (s, contact)) return NotFound();
            if (!Wire.TryParseChannel(channel, out var ch)) return TypedResults.BadRequest();
            var form = new AddressFixForm(ch.Name(), value, why, null, null);
            var errors = new List<FieldProblem>();
            var warnings = new List<FieldProblem>();
            var fixedValue = ContactRules.Address(ch, value, s.DefaultRegion, errors, warnings);
            var current = ch == Channel.Email ? contact.Email : contact.Mobile;
            var email = ch == Channel.Email;
            form = form with
            {
                ValueError = fixedValue is null ? t[email ? "Enter the new email address." : "Enter the new mobile number."].Value
                    : errors.Count + warnings.Count > 0 ? t[email ? "This is not a usable email address: enter one such as name@example.org."
                        : "This is not a usable mobile number: enter it in international form (+44 7700 900123) or as the school's country writes it."].Value
                    : string.Equals(fixedValue, current, StringComparison.Ordinal) ? t[email ? "This is already the contact's email address." : "This is already the contact's mobile number."].Value
                    : null,
                WhyError = string.IsNullOrWhiteSpace(why) ? t["Say why the address is changed: the reason is required and goes into the contact's full log."].Value
                    : why.Trim().Length > MaxWhy ? t["The reason is longer than {0} characters.", MaxWhy].Value
                    : null,
            };
            if (form.ValueError is not null || form.WhyError is not null)
                return Show(http, antiforgery, reports, addresses, s, contact, 1, form, null, StatusCodes.Status400BadRequest);
            contacts.FixAddress(s.Id, contact.Id, ch, fixedValue!, StaffSignIn.Who(http.User), why!.Trim());
            return TypedResults.Redirect($"/contacts/{contact.Id}?fixed={ch.Name()}");
        });
    }

    /// <summary>The longest reason for a fix: a sentence or two, kept in the log.</summary>
    public const int MaxWhy = 500;

    /// <summary>The school and contact a request may see: staff their own school's, support any school's; null for a
    /// contact of another school and one that does not exist alike.</summary>
    private static (School School, ContactView Contact)? Find(HttpContext http, Database db, ContactStore contacts, SchoolStore schools, long id)
    {
        var schoolId = IsSupport(http) ? SchoolOf(db, id) : ClaimedSchool(http);
        if (schoolId is null || schools.Get(schoolId.Value) is not { } s) return null;
        return contacts.Get(s.Id, id) is { } contact ? (s, contact) : null;
    }

    private static RazorComponentResult<ContactPage> Show(HttpContext http, IAntiforgery antiforgery, ReportQueries reports, AddressReset addresses,
        School s, ContactView contact, int page, AddressFixForm? form, string? done, int status = StatusCodes.Status200OK)
    {
        var log = NewestFirst(reports, s.Id, contact.Id, page, PageSize);
        var marks = new List<AddressMark>();
        foreach (var (channel, address) in new[] { (Channel.Email, contact.Email), (Channel.Sms, contact.Mobile) })
        {
            if (string.IsNullOrWhiteSpace(address)) continue;
            foreach (var st in addresses.States(AddressReset.Normalise(address, channel), channel).Where(x => x.SchoolId == s.Id))
                marks.Add(new AddressMark(channel.Name(), address, st.State, st.Reason, st.Since));
        }
        var tokens = antiforgery.GetAndStoreTokens(http);
        return new RazorComponentResult<ContactPage>(new Dictionary<string, object?>
        {
            [nameof(ContactPage.School)] = s,
            [nameof(ContactPage.Support)] = IsSupport(http),
            [nameof(ContactPage.Contact)] = contact,
            [nameof(ContactPage.Marks)] = marks,
            [nameof(ContactPage.Log)] = log,
            [nameof(ContactPage.Fix)] = form,
            [nameof(ContactPage.Fixed)] = done,
            [nameof(ContactPage.Token)] = tokens.RequestToken,
            [nameof(ContactPage.TokenField)] = tokens.FormFieldName,
        }) { StatusCode = status };
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

using Herald.Http;
using Herald.Reports;
using Herald.Schools;

namespace Herald.Contacts;

/// <summary>/api/v1/contacts: contacts, CSV import and each contact's full log.</summary>
public static class ContactsApi
{
    public static void MapContacts(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("/contacts").WithTags("Contacts");

        g.MapGet("/", (HttpContext http, ContactStore store, string? page, string? pageSize, string? group) =>
        {
            if (http.SchoolId() is not { } s) return Problems.NoSchool();
            if (Paging.Read(page, pageSize, 50, 500, out var p) is { } bad) return bad;
            return TypedResults.Ok(store.List(s, p.Page, p.Size, group?.Trim().ToLowerInvariant()));
        }).WithSummary("List contacts (paged, optionally one group)");

        g.MapPost("/", (HttpContext http, ContactStore store, SchoolStore schools, ContactInput input) =>
        {
            if (http.SchoolId() is not { } s || schools.Get(s) is not { } school) return Problems.NoSchool();
            var errors = new List<FieldProblem>(); var warnings = new List<FieldProblem>();
            var v = ContactRules.Validate(input, school.DefaultRegion, errors, warnings);
            if (v is null) return Problems.Invalid(errors);
            if (store.ExternalIdTaken(s, v.ExternalId))
                return Problems.Conflict($"externalId '{v.ExternalId}' already exists; update it with PUT /api/v1/contacts/{{id}}");
            var saved = store.Save(s, v, http.Caller().KeyId);
            return TypedResults.Created($"/api/v1/contacts/{saved.Id}", new ContactSaved(saved, warnings));
        }).WithSummary("Create a contact");

        g.MapGet("/{id:long}", (HttpContext http, ContactStore store, long id) =>
            http.SchoolId() is { } s && store.Get(s, id) is { } c ? TypedResults.Ok(c) : Problems.NotFound($"contact {id}"))
            .WithSummary("Get a contact");

        g.MapPut("/{id:long}", (HttpContext http, ContactStore store, SchoolStore schools, long id, ContactInput input) =>
        {
            if (http.SchoolId() is not { } s || schools.Get(s) is not { } school) return Problems.NoSchool();
            if (store.Get(s, id) is not { } existing) return Problems.NotFound($"contact {id}");
            var errors = new List<FieldProblem>(); var warnings = new List<FieldProblem>();
            var v = ContactRules.Validate(input with { ExternalId = input.ExternalId ?? existing.ExternalId }, school.DefaultRegion, errors, warnings);
            if (v is null) return Problems.Invalid(errors);
            if (v.ExternalId != existing.ExternalId)
                return Problems.Invalid("externalId", $"cannot change from '{existing.ExternalId}' (it identifies the contact in imports)");
            return TypedResults.Ok(new ContactSaved(store.Save(s, v, http.Caller().KeyId), warnings));
        }).WithSummary("Replace a contact's profile");

        g.MapDelete("/{id:long}", (HttpContext http, ContactStore store, long id) =>
            http.SchoolId() is { } s && store.Delete(s, id) ? TypedResults.NoContent() : Problems.NotFound($"contact {id}"))
            .WithSummary("Delete a contact (its deliveries and log stay in the reports)");

        g.MapPost("/import", async (HttpContext http, CsvImport import, SchoolStore schools) =>
        {
            if (http.SchoolId() is not { } s || schools.Get(s) is not { } school) return Problems.NoSchool();
            byte[]? bytes;
            try { bytes = await ReadBody(http); }
            catch (InvalidDataException e) { return TypedResults.Problem(e.Message, statusCode: 413, title: "Too large"); }
            if (bytes is null) return Problems.Invalid("file", "the form has no file: upload the CSV as a file field, or send it as the text/csv body");
            try { return TypedResults.Ok(import.Import(s, school.DefaultRegion, bytes, http.Caller().KeyId)); }
            catch (CsvImport.FileRejected e) { return Problems.Invalid("file", e.Message); }
        }).Accepts<string>("text/csv", "multipart/form-data")
            // The file may be up to CsvImport.MaxBytes, with a form's framing around it; the default JSON limit is far smaller.
            .WithBodyLimit(BodyLimits.Largest).WithSummary("Import contacts from CSV (valid rows in one transaction; per-row errors)");

        g.MapGet("/{id:long}/log", (HttpContext http, ReportQueries q, long id, string? page, string? pageSize) =>
        {
            if (http.SchoolId() is not { } s) return Problems.NoSchool();
            if (Paging.Read(page, pageSize, 200, 1000, out var p) is { } bad) return bad;
            return q.Log(s, id, p.Page, p.Size) is { } log ? TypedResults.Ok(log) : Problems.NotFound($"contact {id}");
        }).WithSummary("A contact's full log: every attempt and event, oldest first");
    }

    /// <summary>The CSV file, as the raw body (text/csv) or the first file of a multipart form.</summary>
    private static async Task<byte[]?> ReadBody(HttpContext http)
    {
        if (http.Request.HasFormContentType)
        {
            var form = await http.Request.ReadFormAsync();
            if (form.Files.FirstOrDefault() is not { } file) return null;
            if (file.Length > CsvImport.MaxBytes) throw new InvalidDataException($"the file is larger than {CsvImport.MaxBytes} bytes");
            using var ms = new MemoryStream();
            await file.CopyToAsync(ms);
            return ms.ToArray();
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = await http.Request.Body.ReadAsync(chunk)) > 0)
        {
            buffer.Write(chunk, 0, n);
            if (buffer.Length > CsvImport.MaxBytes) throw new InvalidDataException($"the file is larger than {CsvImport.MaxBytes} bytes");
        }
        return buffer.ToArray();
    }
}

/// <summary>A saved contact and the warnings about its data (an unusable email or number).</summary>
public sealed record ContactSaved(ContactView Contact, IReadOnlyList<FieldProblem> Warnings);

/// <summary>The page and page size of a paged route, read from the query as text so that a value that is not a number
/// is a problem naming the field (the framework's own refusal names a .NET type).</summary>
public static class Paging
{
    /// <summary>The highest page: far past any real list, and small enough that the row offset,
    /// (page - 1) x pageSize, stays inside what every database takes.</summary>
    public const int MaxPage = 1_000_000;

    /// <param name="page">The <c>page</c> query value (default 1).</param>
    /// <param name="pageSize">The <c>pageSize</c> query value (default <paramref name="defaultSize"/>).</param>
    /// <returns>A 400 naming the field, or null with the values in <paramref name="paging"/>.</returns>
    public static IResult? Read(string? page, string? pageSize, int defaultSize, int maxSize, out (int Page, int Size) paging)
    {
        paging = (1, defaultSize);
        var problems = new List<FieldProblem>();
        if (page is not null)
            if (Whole(page) is { } p and >= 1 and <= MaxPage) paging.Page = p;
            else problems.Add(new("page", $"'{page}' is not a whole number between 1 and {MaxPage}"));
        if (pageSize is not null)
            if (Whole(pageSize) is { } n and >= 1 && n <= maxSize) paging.Size = n;
            else problems.Add(new("pageSize", $"'{pageSize}' is not a whole number between 1 and {maxSize}"));
        return problems.Count > 0 ? Problems.Invalid(problems) : null;
    }

    private static int? Whole(string text) =>
        int.TryParse(text.Trim(), System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : null;
}

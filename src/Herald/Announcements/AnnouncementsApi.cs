using Herald.Contacts;
using Herald.Core.Deliveries;
using Herald.Http;
using Herald.Reports;
using Herald.Schools;

namespace Herald.Announcements;

/// <summary>/api/v1/announcements: create, send, and the statistics report.</summary>
public static class AnnouncementsApi
{
    public static void MapAnnouncements(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("/announcements").WithTags("Announcements");

        g.MapPost("/", (HttpContext http, AnnouncementDrafts drafts, AnnouncementInput input) =>
        {
            if (http.SchoolId() is not { } s) return Problems.NoSchool();
            var (a, problems) = drafts.Create(s, input, http.Caller().KeyId);
            if (a is null) return Problems.Invalid(problems);
            return TypedResults.Created($"/api/v1/announcements/{a.Id}", a);
        }).WithSummary("Create an announcement (a draft until sent)");

        g.MapGet("/", (HttpContext http, AnnouncementStore store, string? page, string? pageSize) =>
        {
            if (http.SchoolId() is not { } s) return Problems.NoSchool();
            if (Paging.Read(page, pageSize, 50, 500, out var p) is { } bad) return bad;
            return TypedResults.Ok(store.List(s, p.Page, p.Size));
        }).WithSummary("List announcements, newest first");

        g.MapGet("/{id:long}", (HttpContext http, AnnouncementStore store, long id) =>
            http.SchoolId() is { } s && store.Get(s, id) is { } a ? TypedResults.Ok(a) : Problems.NotFound($"announcement {id}"))
            .WithSummary("Get an announcement");

        g.MapPost("/{id:long}/send", (HttpContext http, AnnouncementStore store, SchoolStore schools, AnnouncementSender sender, long id) =>
        {
            if (http.SchoolId() is not { } s || schools.Get(s) is not { } school) return Problems.NoSchool();
            if (store.Get(s, id) is null) return Problems.NotFound($"announcement {id}");
            try { return TypedResults.Accepted($"/api/v1/announcements/{id}/report", sender.Send(school, id, http.Caller().KeyId)); }
            catch (AnnouncementSender.AlreadySent e) { return Problems.Conflict(e.Message); }
        }).WithSummary("Send: decide per recipient and channel, queue the rest for the dispatcher");

        g.MapPost("/{id:long}/resend", (HttpContext http, AnnouncementStore store, SchoolStore schools, Resender resender, long id, ResendInput input) =>
        {
            if (http.SchoolId() is not { } s || schools.Get(s) is not { } school) return Problems.NoSchool();
            if (store.Get(s, id) is not { } a) return Problems.NotFound($"announcement {id}");
            if (a.State != "sent") return Problems.Conflict($"announcement {id} has not been sent yet; send it first");
            var key = http.Request.Headers["Idempotency-Key"].ToString();
            try { return TypedResults.Ok(resender.Resend(school, a, input, string.IsNullOrWhiteSpace(key) ? null : new ResendKey(http.Caller().KeyId, key), http.Caller().KeyId)); }
            catch (Resender.Invalid e) { return Problems.Invalid(e.Field, e.Message); }
            catch (Resender.KeyReused e)
            {
                return TypedResults.Problem(e.Message, statusCode: 422, title: "Idempotency-Key reused",
                    extensions: new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { ["Idempotency-Key"] = [e.Message] } });
            }
        }).WithSummary("Resend to recipients in chosen statuses, or to chosen contacts: a new attempt against the current profile (header Idempotency-Key; dryRun answers what would happen)");

        g.MapGet("/{id:long}/reach", (HttpContext http, SchoolStore schools, ReachCheck reach, long id, string? format) =>
        {
            if (http.SchoolId() is not { } s || schools.Get(s) is not { } school) return Problems.NoSchool();
            if (format is not (null or "json" or "csv")) return Problems.Invalid("format", $"'{format}' is not json or csv");
            if (reach.Check(school, id) is not { } r) return Problems.NotFound($"announcement {id}");
            var csv = format == "csv" || (format is null && http.Request.GetTypedHeaders().Accept
                .Any(m => m.MediaType.Equals("text/csv", StringComparison.OrdinalIgnoreCase)));
            return csv ? TypedResults.Text(ReachCheck.PaperListCsv(r), "text/csv; charset=utf-8") : TypedResults.Ok(r);
        }).Produces<ReachReport>().Produces<string>(200, "text/csv")
          .WithSummary("Reach check, without sending: contacts each channel will reach, who gets a fallback, and who no channel reaches (the paper list; CSV with Accept: text/csv or ?format=csv)");

        g.MapGet("/{id:long}/report", (HttpContext http, ReportQueries q, long id, string? status, string? channel, string? page, string? pageSize) =>
        {
            if (http.SchoolId() is not { } s) return Problems.NoSchool();
            if (Paging.Read(page, pageSize, 50, 500, out var p) is { } bad) return bad;
            DeliveryStatus? st = null; Channel? ch = null;
            if (status is not null) { if (!Wire.TryParseStatus(status, out var x)) return Problems.Invalid("status", $"'{status}' is not a status"); st = x; }
            if (channel is not null) { if (!Wire.TryParseChannel(channel, out var x)) return Problems.Invalid("channel", $"'{channel}' is not email or sms"); ch = x; }
            return q.Report(s, id, st, ch, p.Page, p.Size) is { } r ? TypedResults.Ok(r) : Problems.NotFound($"announcement {id}");
        }).WithSummary("Statistics report: counts per status (zeros included) and recipients, filterable by status and channel");
    }
}

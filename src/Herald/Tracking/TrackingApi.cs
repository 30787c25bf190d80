using Dapper;
using Herald.Core.Tracking;
using Herald.Deliveries;
using Herald.Email;
using Herald.Http;
using Herald.Storage;
using Prometheus;

namespace Herald.Tracking;

/// <summary>
/// <c>GET /o/{token}</c> (the open pixel) and <c>GET /c/{token}</c> (a tracked link): public, no API key (recipients'
/// mail clients fetch them), GET only and no body. Each checks its token before anything else; a token that is not
/// one of Herald's, whole and unchanged, is a bare 404, the same for forged, mangled, truncated and foreign ones.
/// Each answers first (the GIF, or the redirect) and then records once through <see cref="DeliveryLedger.Track(TrackingHit)"/>:
/// one upsert of the attempt's counters, plus the log and status for the first of its kind, committed in groups by
/// <see cref="TrackingWriter"/> (the request ends when its hit is committed).
/// </summary>
public static partial class TrackingApi
{
    /// <summary>A transparent 1×1 GIF89a, 43 bytes.</summary>
    public static readonly byte[] Pixel = Convert.FromBase64String("R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==");

    private static readonly Counter Hits = Metrics.CreateCounter(
        "herald_tracking_requests_total", "Open pixel and tracked-link requests, by kind (open, click) and result (person, automated, bad_token, unknown_delivery, error).",
        "kind", "result");

    public static void MapTracking(this IEndpointRouteBuilder app)
    {
        app.MapGet(MessageTracking.OpenPath + "{token}", async (string token, HttpContext http, MessageTracking tracking, TrackingWriter ledger,
            TimeProvider time, ILoggerFactory logs) =>
        {
            if (tracking.Parse(token) is not { IsOpen: true } t)
            {
                Hits.WithLabels("open", "bad_token").Inc();
                NotFound(http);
                return;
            }
            var r = http.Response;
            r.ContentType = "image/gif";
            r.ContentLength = Pixel.Length;
            r.Headers.CacheControl = "no-store, private";
            r.Headers.Pragma = "no-cache";
            await r.Body.WriteAsync(Pixel);
            await r.CompleteAsync();
            await Record(ledger, time, logs, t, null, http.Request.Headers.UserAgent.ToString());
        }).WithTags("Tracking").WithSummary("Open pixel (signed token, no API key): a 43-byte GIF, then the open is recorded")
          .WithBodyLimit(0);

        app.MapGet(MessageTracking.ClickPath + "{token}", async (string token, HttpContext http, MessageTracking tracking, TrackingWriter ledger,
            Database db, TimeProvider time, ILoggerFactory logs) =>
        {
            // The destination is the link of that number in the announcement's own HTML: nothing in the request names it.
            if (tracking.Parse(token) is not { IsOpen: false } t || Destination(db, tracking, t) is not { } url)
            {
                Hits.WithLabels("click", "bad_token").Inc();
                NotFound(http);
                return;
            }
            http.Response.StatusCode = StatusCodes.Status302Found;
            http.Response.Headers.Location = url;
            http.Response.Headers.CacheControl = "no-store, private";
            http.Response.ContentLength = 0;
            await http.Response.CompleteAsync();
            await Record(ledger, time, logs, t, url, http.Request.Headers.UserAgent.ToString());
        }).WithTags("Tracking").WithSummary("Tracked link (signed token, no API key): 302 to the message's own link, then the click is recorded")
          .WithBodyLimit(0);
    }

    /// <summary>A bare 404 with no body: no problem details (their trace id would differ from one answer to the next),
    /// nothing that tells a forged token from a mangled or an unknown one.</summary>
    private static void NotFound(HttpContext http)
    {
        http.Response.StatusCode = StatusCodes.Status404NotFound;
        if (http.Features.Get<Microsoft.AspNetCore.Diagnostics.IStatusCodePagesFeature>() is { } pages) pages.Enabled = false;
    }

    /// <summary>The URL of the token's link, from the stored HTML of its delivery's announcement; null when there is none.</summary>
    private static string? Destination(Database db, MessageTracking tracking, TrackingTarget t)
    {
        using var c = db.Open();
        var html = c.QuerySingleOrDefault<string?>(
            "SELECT a.html_body FROM deliveries d JOIN announcements a ON a.id = d.announcement_id WHERE d.id = @id AND d.channel = 'email'",
            new { id = t.DeliveryId });
        return TrackedHtml.Link(html, t.Link, tracking.Untouched);
    }

    private static async Task Record(TrackingWriter ledger, TimeProvider time, ILoggerFactory logs, TrackingTarget t, string? url, string? userAgent)
    {
        var kind = t.IsOpen ? "open" : "click";
        var now = time.GetUtcNow();
        var rule = MachineOpens.Match(t.IsOpen ? TrackingKind.Open : TrackingKind.Click, userAgent, now - DateTimeOffset.FromUnixTimeSeconds(t.BuiltAt));
        try
        {
            var outcome = await ledger.WriteAsync(new TrackingHit(t.DeliveryId, t.Attempt, t.Link, url, rule?.Name, userAgent, now));
            Hits.WithLabels(kind, outcome.Result == EventResult.UnknownDelivery ? "unknown_delivery" : rule is null ? "person" : "automated").Inc();
        }
        catch (Exception e)
        {
            // The recipient has their pixel or their page already; a lost count is logged, never shown to them.
            Hits.WithLabels(kind, "error").Inc();
            LogFailed(logs.CreateLogger("Herald.Tracking"), e, t.DeliveryId, kind);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not record the {Kind} of delivery {DeliveryId}")]
    private static partial void LogFailed(ILogger log, Exception e, long deliveryId, string kind);
}

using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Herald.Tests.Api;

/// <summary>The few calls every story makes, as plain steps that fail with the server's answer attached.</summary>
public static class ApiSteps
{
    public static async Task<JsonNode> ReadJsonAsync(this HttpResponseMessage r)
    {
        var text = await r.Content.ReadAsStringAsync();
        try { return JsonNode.Parse(text) ?? throw new InvalidOperationException("empty body"); }
        catch (JsonException) { throw new Xunit.Sdk.XunitException($"{(int)r.StatusCode} {r.RequestMessage?.RequestUri}: not JSON: {text}"); }
    }

    public static async Task<JsonNode> ExpectAsync(this Task<HttpResponseMessage> call, HttpStatusCode status)
    {
        using var r = await call;
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == status,
            $"{r.RequestMessage?.Method} {r.RequestMessage?.RequestUri}: expected {(int)status} {status}, got {(int)r.StatusCode}: {text}");
        return string.IsNullOrWhiteSpace(text) ? new JsonObject() : JsonNode.Parse(text)!;
    }

    public static Task<HttpResponseMessage> PostJson(this HttpClient c, string url, object body) =>
        c.PostAsync(url, new StringContent(JsonSerializer.Serialize(body, HeraldHost.Json), Encoding.UTF8, "application/json"));

    public static Task<HttpResponseMessage> PostRaw(this HttpClient c, string url, string json) =>
        c.PostAsync(url, new StringContent(json, Encoding.UTF8, "application/json"));

    public static Task<HttpResponseMessage> PostCsv(this HttpClient c, string csv) => c.PostCsv(Encoding.UTF8.GetBytes(csv));

    public static Task<HttpResponseMessage> PostCsv(this HttpClient c, byte[] csv)
    {
        var content = new ByteArrayContent(csv);
        content.Headers.ContentType = new("text/csv");
        return c.PostAsync("api/v1/contacts/import", content);
    }

    /// <summary>Creates a contact and returns its id.</summary>
    public static async Task<long> AddContactAsync(this HttpClient c, string? email, string? mobile = null, string[]? optOuts = null,
        bool digest = false, string? externalId = null, string[]? groups = null, string name = "Test Contact")
    {
        var body = await c.PostJson("api/v1/contacts", new
        {
            externalId = externalId ?? "ext-" + Guid.NewGuid().ToString("N")[..12], role = "guardian", name, email, mobile,
            groups = groups ?? [], optOuts = optOuts ?? [], digest,
        }).ExpectAsync(HttpStatusCode.Created);
        return body["contact"]!["id"]!.GetValue<long>();
    }

    /// <summary>Creates an announcement to the given contacts and returns its id.</summary>
    public static async Task<long> AddAnnouncementAsync(this HttpClient c, long[] contactIds, bool essential = false,
        string category = "general", string[]? channels = null, string subject = "Sports day")
    {
        var body = await c.PostJson("api/v1/announcements", new
        {
            subject, text = "Sports day is on Friday.", channels = channels ?? ["email"], category, essential,
            audience = new { contactIds },
        }).ExpectAsync(HttpStatusCode.Created);
        return body["id"]!.GetValue<long>();
    }

    public static Task<JsonNode> SendAsync(this HttpClient c, long announcementId) =>
        c.PostAsync($"api/v1/announcements/{announcementId}/send", null).ExpectAsync(HttpStatusCode.Accepted);

    /// <summary>Creates and sends an announcement to the contacts; returns its id.</summary>
    public static async Task<long> SendToAsync(this HttpClient c, long[] contactIds, bool essential = false, string category = "general",
        string[]? channels = null)
    {
        var id = await c.AddAnnouncementAsync(contactIds, essential, category, channels);
        await c.SendAsync(id);
        return id;
    }

    public static Task<JsonNode> ReportAsync(this HttpClient c, long announcementId, string query = "") =>
        c.GetAsync($"api/v1/announcements/{announcementId}/report{query}").ExpectAsync(HttpStatusCode.OK);

    public static Task<JsonNode> LogAsync(this HttpClient c, long contactId) =>
        c.GetAsync($"api/v1/contacts/{contactId}/log?pageSize=1000").ExpectAsync(HttpStatusCode.OK);

    public static JsonArray Lines(this JsonNode report) => report["recipients"]!["items"]!.AsArray();

    /// <summary>The report line of one contact (on the email channel unless said otherwise).</summary>
    public static JsonNode LineOf(this JsonNode report, long contactId, string channel = "email") =>
        report.Lines().Single(l => l!["contactId"]!.GetValue<long>() == contactId && l["channel"]!.GetValue<string>() == channel)!;

    public static string StatusOf(this JsonNode report, long contactId, string channel = "email") =>
        report.LineOf(contactId, channel)["status"]!.GetValue<string>();

    public static long Count(this JsonNode report, string status, string channel = "email") =>
        report["counts"]![channel]![status]!.GetValue<long>();

    /// <summary>Polls the report until <paramref name="done"/> holds; fails naming what it waited for and the last report.</summary>
    public static async Task<JsonNode> WaitForReportAsync(this HttpClient c, long announcementId, Func<JsonNode, bool> done, string what,
        Func<Task>? between = null)
    {
        var deadline = DateTime.UtcNow + HeraldHost.DispatchTimeout;
        JsonNode report;
        while (true)
        {
            report = await c.ReportAsync(announcementId, "?pageSize=500");
            if (done(report)) return report;
            if (DateTime.UtcNow > deadline)
                throw new Xunit.Sdk.XunitException(
                    $"waited {HeraldHost.DispatchTimeout.TotalSeconds:0} s for {what} on announcement {announcementId}; last report: {report.ToJsonString()}");
            if (between is not null) await between();
            await Task.Delay(50);
        }
    }

    /// <summary>Waits until the contact's email delivery has <paramref name="status"/>.</summary>
    public static Task<JsonNode> WaitForStatusAsync(this HttpClient c, long announcementId, long contactId, string status, Func<Task>? between = null) =>
        c.WaitForReportAsync(announcementId, r => r.StatusOf(contactId) == status, $"contact {contactId} to reach {status}", between);

    public static JsonArray Entries(this JsonNode log) => log["items"]!.AsArray();

    public static string? Str(this JsonNode? n, string field) => n?[field]?.GetValue<string>();
}

using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Herald.Tests.Api;

namespace Herald.Tests.Http;

/// <summary>Keys are checked before anything else: no key, a wrong key or another school's key gets nowhere, on every
/// route the API has, whatever the request carries.</summary>
public class ApiAuthTests
{
    /// <summary>The routes anyone may call: providers' callbacks (each checks its own signature) and the public health.
    /// A route that appears here without being meant to be public is a hole: keep this list short and deliberate.</summary>
    private static readonly HashSet<string> Public =
    [
        "GET /health", "GET /api/v1/sms/kannel/dlr", "POST /api/v1/sms/twilio/status", "GET /o/{token}", "GET /c/{token}",
        // The signed token in the URL is the credential (docs/preferences.md).
        "POST /unsubscribe/{token}", "GET /unsubscribe/{token}",
    ];

    /// <summary>What another school's key gets on each route that names school A's objects (404: it cannot tell they
    /// exist), or 403 on a support route. Collection routes act in the caller's own school: their isolation is
    /// asserted in <see cref="TenantIsolationTests"/>, and here only that a key is needed.</summary>
    private static readonly Dictionary<string, HttpStatusCode?> OtherSchool = new()
    {
        ["GET /api/v1/contacts"] = null,
        ["POST /api/v1/contacts"] = null,
        ["POST /api/v1/contacts/import"] = null,
        ["GET /api/v1/contacts/{id}"] = HttpStatusCode.NotFound,
        ["PUT /api/v1/contacts/{id}"] = HttpStatusCode.NotFound,
        ["DELETE /api/v1/contacts/{id}"] = HttpStatusCode.NotFound,
        ["GET /api/v1/contacts/{id}/log"] = HttpStatusCode.NotFound,
        ["GET /api/v1/announcements"] = null,
        ["POST /api/v1/announcements"] = null,
        ["GET /api/v1/announcements/{id}"] = HttpStatusCode.NotFound,
        ["POST /api/v1/announcements/{id}/send"] = HttpStatusCode.NotFound,
        ["POST /api/v1/announcements/{id}/resend"] = HttpStatusCode.NotFound,
        ["GET /api/v1/announcements/{id}/report"] = HttpStatusCode.NotFound,
        ["GET /api/v1/announcements/{id}/reach"] = HttpStatusCode.NotFound,
        ["POST /api/v1/events"] = HttpStatusCode.NotFound,
        ["POST /api/v1/addresses/reset"] = HttpStatusCode.Forbidden,
        ["GET /health/details"] = HttpStatusCode.Forbidden,
    };

    private sealed record Fixture(HeraldHost H, HttpClient Other, long Contact, long Announcement, long Delivery);

    private static async Task<Fixture> StartAsync(string provider)
    {
        var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var c = await h.Client.AddContactAsync("ann@school.example");
        var a = await h.Client.SendToAsync([c]);
        var d = (await h.Client.ReportAsync(a)).LineOf(c)["deliveryId"]!.GetValue<long>();
        var (_, other) = h.AddSchoolWithKey("other-" + Guid.NewGuid().ToString("N")[..8]);
        return new Fixture(h, other, c, a, d);
    }

    /// <summary>Every (method, path) of the OpenAPI document.</summary>
    private static async Task<List<(string Method, string Path)>> RoutesAsync(HeraldHost h)
    {
        var doc = await h.Operator.GetAsync("openapi/v1.json").ExpectAsync(HttpStatusCode.OK);
        return doc["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().Select(m => (m.Key.ToUpperInvariant(), p.Key)))
            .ToList();
    }

    /// <summary>A body that binds on the route (so a 404 comes from the handler, not from the binder).</summary>
    private static HttpContent? BodyFor(string route, Fixture f) => route switch
    {
        "PUT /api/v1/contacts/{id}" => Json(new { role = "staff", name = "Hijacked" }),
        "POST /api/v1/contacts" => Json(new { externalId = "x-" + Guid.NewGuid().ToString("N"), role = "staff", name = "New" }),
        "POST /api/v1/contacts/import" => new StringContent("external_id,role,name,email\nimp-1,staff,Imp,imp@school.example\n", Encoding.UTF8, "text/csv"),
        "POST /api/v1/announcements" => Json(new { subject = "x", text = "x", channels = new[] { "email" }, category = "general", audience = new { groups = new[] { "nobody" } } }),
        "POST /api/v1/announcements/{id}/resend" => Json(new { statuses = new[] { "queued" }, dryRun = true }),
        "POST /api/v1/events" => Json(new { deliveryId = f.Delivery, status = "hard_bounce", detail = "forged" }),
        "POST /api/v1/addresses/reset" => Json(new { address = "ann@school.example", by = "me", why = "test", school = f.H.School.Id }),
        _ => null,
    };

    private static StringContent Json(object o) =>
        new(System.Text.Json.JsonSerializer.Serialize(o, HeraldHost.Json), Encoding.UTF8, "application/json");

    private static string Fill(string path, Fixture f) =>
        path.Replace("{id}", path.StartsWith("/api/v1/contacts", StringComparison.Ordinal) ? f.Contact.ToString() : f.Announcement.ToString());

    private static async Task<(HttpStatusCode Status, string Body)> CallAsync(HttpClient c, string method, string url, HttpContent? body)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), url.TrimStart('/')) { Content = body };
        using var r = await c.SendAsync(request);
        return (r.StatusCode, await r.Content.ReadAsStringAsync());
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Every_route_refuses_no_key_a_wrong_key_and_another_schools_key(string provider)
    {
        var f = await StartAsync(provider);
        await using var _h = f.H;
        var routes = await RoutesAsync(f.H);
        Assert.Contains(routes, r => r.Path == "/api/v1/contacts/{id}");
        var none = f.H.CreateClient(null);
        var wrong = f.H.CreateClient("hk_" + new string('0', 64));
        var failures = new List<string>();
        foreach (var (method, path) in routes)
        {
            var route = $"{method} {path}";
            if (Public.Contains(route)) continue;
            if (!OtherSchool.TryGetValue(route, out var otherExpected))
            {
                failures.Add($"{route} is not in this test: say what another school's key gets there");
                continue;
            }
            var url = Fill(path, f);
            foreach (var (who, client) in new[] { ("no key", none), ("a wrong key", wrong) })
            {
                // A body that does not even bind: authentication must answer before the binder sees it.
                var (status, body) = await CallAsync(client, method, url, new StringContent("""{"bogus":1}""", Encoding.UTF8, "application/json"));
                if (status != HttpStatusCode.Unauthorized) failures.Add($"{route} with {who}: {(int)status} {body}");
                else if (body.Contains("Herald.", StringComparison.Ordinal) || body.Contains("System.", StringComparison.Ordinal))
                    failures.Add($"{route} with {who}: the problem names a .NET type: {body}");
            }
            if (otherExpected is { } expected)
            {
                var (status, body) = await CallAsync(f.Other, method, url, BodyFor(route, f));
                if (status != expected) failures.Add($"{route} with another school's key: {(int)status} {body}, expected {(int)expected}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        // And nothing was changed by any of it.
        Assert.Equal("queued", (await f.H.Client.ReportAsync(f.Announcement)).StatusOf(f.Contact));
        Assert.Equal("Test Contact", (await f.H.Client.GetAsync($"api/v1/contacts/{f.Contact}").ExpectAsync(HttpStatusCode.OK)).Str("name"));
    }

    [Fact]
    public async Task Only_the_deliberately_public_routes_answer_without_a_key()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        var none = h.CreateClient(null);
        foreach (var (method, path) in await RoutesAsync(h))
        {
            var (status, body) = await CallAsync(none, method, path.Replace("{id}", "1"), null);
            if (Public.Contains($"{method} {path}")) Assert.NotEqual(HttpStatusCode.Unauthorized, status);
            else Assert.True(status == HttpStatusCode.Unauthorized, $"{method} {path} without a key: {(int)status} {body}");
        }
    }

    /// <summary>Counts what the server pulled from the request body.</summary>
    private sealed class WatchedContent(int size) : HttpContent
    {
        public long BytesRead { get; private set; }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var chunk = Encoding.ASCII.GetBytes(new string(' ', 64 * 1024));
            for (var sent = 0; sent < size; sent += chunk.Length)
            {
                BytesRead += chunk.Length;
                await stream.WriteAsync(chunk);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = size;
            return true;
        }
    }

    [Fact]
    public async Task A_request_without_a_key_is_refused_before_its_body_is_read()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        // With "Expect: 100-continue" the client holds the body back until the server asks for it, which Kestrel does
        // only when the application starts reading. A 401 with nothing sent proves the body was never read.
        using var handler = new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromMinutes(5) };
        using var client = new HttpClient(handler) { BaseAddress = h.BaseAddress };
        foreach (var url in new[] { "api/v1/announcements", "api/v1/contacts", "api/v1/contacts/import", "api/v1/events" })
        {
            var body = new WatchedContent(20 * 1024 * 1024);
            body.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = body };
            request.Headers.ExpectContinue = true;
            using var r = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
            Assert.Equal(0, body.BytesRead);
            var problem = JsonNode.Parse(await r.Content.ReadAsStringAsync())!;
            Assert.Contains("API key", problem.Str("detail"));
            Assert.Equal("Bearer", r.Headers.WwwAuthenticate.Single().Scheme);
        }
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_school_key_cannot_use_a_support_route(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var problem = await h.Client.PostJson("api/v1/addresses/reset", new { address = "ann@school.example", by = "me", why = "test", school = h.School.Id })
            .ExpectAsync(HttpStatusCode.Forbidden);
        Assert.Contains("operator key", problem.Str("detail"));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_read_only_operator_key_reads_every_school_and_writes_nothing(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var c = await h.Client.AddContactAsync("ann@school.example");
        var key = h.Service<Herald.Schools.SchoolStore>().CreateKey(null, "monitoring", isOperator: true, readOnly: true, expiresAt: null).Key;
        var monitor = h.CreateClient(key);
        await monitor.GetAsync($"api/v1/contacts/{c}?school={h.School.Id}").ExpectAsync(HttpStatusCode.OK);
        Assert.Contains("herald_", await monitor.GetStringAsync("metrics"));
        var problem = await monitor.DeleteAsync($"api/v1/contacts/{c}?school={h.School.Id}").ExpectAsync(HttpStatusCode.Forbidden);
        Assert.Contains("read-only", problem.Str("detail"));
        await monitor.PostJson("api/v1/addresses/reset", new { address = "ann@school.example", by = "me", why = "test", school = h.School.Id })
            .ExpectAsync(HttpStatusCode.Forbidden);
        await h.Client.GetAsync($"api/v1/contacts/{c}").ExpectAsync(HttpStatusCode.OK);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_read_only_school_key_cannot_send(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var c = await h.Client.AddContactAsync("ann@school.example");
        var a = await h.Client.AddAnnouncementAsync([c]);
        var key = h.Service<Herald.Schools.SchoolStore>().CreateKey(h.School.Id, "reports", isOperator: false, readOnly: true, expiresAt: null).Key;
        var reader = h.CreateClient(key);
        await reader.GetAsync($"api/v1/announcements/{a}").ExpectAsync(HttpStatusCode.OK);
        await reader.PostAsync($"api/v1/announcements/{a}/send", null).ExpectAsync(HttpStatusCode.Forbidden);
        Assert.Equal("draft", (await h.Client.GetAsync($"api/v1/announcements/{a}").ExpectAsync(HttpStatusCode.OK)).Str("state"));
    }
}

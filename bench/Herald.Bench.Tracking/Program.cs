// Tracking-pixel benchmark: GET /o/{token} requests per second on loopback, against a bare endpoint in the same process
// and run that answers the same 43 bytes with the same headers without checking a token or touching the database.
// A built-in load generator (C keep-alive connections, each a loop of GETs) runs in the same process for both, so both
// share the same CPU the same way; the figure is the ratio. Rounds alternate bare / pixel and the best of each is kept.
// usage: Herald.Bench.Tracking SECONDS CONNECTIONS DELIVERIES [sqlite|postgres CONNECTION-STRING]
using System.Diagnostics;
using Dapper;
using Herald.Email;
using Herald.Hosting;
using Herald.Schools;
using Herald.Storage;
using Herald.Tracking;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

if (args.Length < 3) { Console.Error.WriteLine("usage: Herald.Bench.Tracking SECONDS CONNECTIONS DELIVERIES [sqlite|postgres CONNECTION-STRING]"); return 2; }
var seconds = double.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture);
var connections = int.Parse(args[1]);
var deliveries = int.Parse(args[2]);
var provider = args.Length > 3 ? args[3] : "sqlite";
var data = Directory.CreateTempSubdirectory("herald-bench-tracking-").FullName;
const string Secret = "bench-tracking-secret-0123456789";
try
{
    var settings = new Dictionary<string, string?>
    {
        ["Herald:DataDirectory"] = data,
        ["Herald:Urls"] = "http://127.0.0.1:0",
        ["Herald:Database:Provider"] = provider,
        ["Herald:Database:ConnectionString"] = args.Length > 4 ? args[4] : "",
        ["Herald:Dispatch:Enabled"] = "false",
        ["Herald:Email:Tracking:BaseUrl"] = "https://herald.bench.test",
        ["Herald:Email:Tracking:Secret"] = Secret,
        ["Logging:LogLevel:Default"] = "Warning",
    };
    await using var app = HeraldApp.Build([], c => c.AddInMemoryCollection(settings));
    // The floor: the same answer as the pixel (status, type, length, cache headers, bytes), no token, no database.
    app.MapGet("/bare/{token}", async (string token, HttpContext http) =>
    {
        var r = http.Response;
        r.ContentType = "image/gif";
        r.ContentLength = TrackingApi.Pixel.Length;
        r.Headers.CacheControl = "no-store, private";
        r.Headers.Pragma = "no-cache";
        await r.Body.WriteAsync(TrackingApi.Pixel);
        await r.CompleteAsync();
    }).AllowAnonymous();
    await app.StartAsync();
    var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    // DELIVERIES email deliveries of one announcement, through the API's own path (decisions, counters).
    var schools = app.Services.GetRequiredService<SchoolStore>();
    var school = schools.Add("bench", "Bench School", "office@bench.test", "The Office", null, "GB");
    var key = schools.CreateKey(school.Id, "bench", false);
    using var api = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromMinutes(10) };
    api.DefaultRequestHeaders.Authorization = new("Bearer", key);
    var csv = new System.Text.StringBuilder("external_id,role,name,email\n");
    for (var i = 0; i < deliveries; i++) csv.Append($"c{i},guardian,Contact {i},contact{i}@d{i % 10}.bench.test\n");
    (await api.PostAsync("api/v1/contacts/import", new StringContent(csv.ToString(), System.Text.Encoding.UTF8, "text/csv"))).EnsureSuccessStatusCode();
    var created = await api.PostAsync("api/v1/announcements", new StringContent(
        """{"subject":"Sports day","html":"<p>Sports day is on <a href=\"https://school.example/sports\">Friday</a>.</p>","channels":["email"],"category":"general","audience":{"all":true}}""",
        System.Text.Encoding.UTF8, "application/json"));
    created.EnsureSuccessStatusCode();
    var id = System.Text.Json.JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetInt64();
    (await api.PostAsync($"api/v1/announcements/{id}/send", null)).EnsureSuccessStatusCode();
    List<long> ids;
    using (var c = app.Services.GetRequiredService<Database>().Open())
        ids = c.Query<long>("SELECT id FROM deliveries WHERE announcement_id = @id ORDER BY id", new { id }).ToList();
    // Built an hour ago with a browser's User-Agent: a person's opens, the path that writes the most (no machine rule).
    var tokens = new TrackingTokens(Secret);
    var paths = ids.Select(d => MessageTracking.OpenPath + tokens.For(d, 1, 0, DateTimeOffset.UtcNow.AddHours(-1))).ToArray();

    var handler = new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
    using var load = new HttpClient(handler) { BaseAddress = new Uri(url) };
    load.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36");

    async Task<double> Run(string prefix, double duration)
    {
        long done = 0, failed = 0, next = 0;
        var stop = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, connections).Select(_ => Task.Run(async () =>
        {
            while (stop.Elapsed.TotalSeconds < duration)
            {
                var i = Interlocked.Increment(ref next);
                var path = paths[i % paths.Length];
                using var r = await load.GetAsync(prefix == "bare" ? "/bare/" + path[3..] : path);
                var body = await r.Content.ReadAsByteArrayAsync();
                if (r.IsSuccessStatusCode && body.Length == 43) Interlocked.Increment(ref done); else Interlocked.Increment(ref failed);
            }
        })).ToArray();
        await Task.WhenAll(workers);
        if (failed > 0) throw new InvalidOperationException($"{prefix}: {failed} requests failed");
        return done / stop.Elapsed.TotalSeconds;
    }

    await Run("bare", 1); await Run("pixel", 1);   // warm-up (JIT, pools); its opens count too
    double bare = 0, pixel = 0;
    for (var round = 0; round < 3; round++)
    {
        bare = Math.Max(bare, await Run("bare", seconds));
        pixel = Math.Max(pixel, await Run("pixel", seconds));
    }
    // Every pixel request was recorded: the opens counted match the requests answered (the writes happen after the answer).
    long opens;
    await Task.Delay(500);
    using (var c = app.Services.GetRequiredService<Database>().Open())
        opens = c.ExecuteScalar<long>("SELECT COALESCE(SUM(opens), 0) FROM delivery_tracking");
    Console.WriteLine($"{provider}\tbare {bare:F0}/s\tpixel {pixel:F0}/s\tratio {pixel / bare:F2}\t({opens} opens recorded; {ids.Count} deliveries; {connections} connections; best of 3 x {seconds}s)");
    await app.StopAsync();
    return 0;
}
finally
{
    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    try { Directory.Delete(data, true); } catch (IOException) { }
}

// Email sending benchmark: N messages through Herald (API send -> decisions -> dispatcher -> SMTP transport) to an SMTP
// sink, timed from the send request until the report counts all N as sent. bench/email.sh runs it next to Postfix's
// smtp-source against the same sink and prints both rates and the ratio.
// usage: Herald.Bench.Email HOST PORT N [CONNECTIONS] [sqlite|postgres CONNECTION-STRING]
// BENCH_PROCESSES=2: a second Herald process (this program with BENCH_DISPATCH_ONLY=1) dispatches from the same
// database during the timed run, as a second `herald serve` would.
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Herald.Hosting;
using Herald.Schools;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

if (args.Length < 3) { Console.Error.WriteLine("usage: Herald.Bench.Email HOST PORT N [CONNECTIONS] [sqlite|postgres CONNECTION-STRING]"); return 2; }
var (host, port, n) = (args[0], args[1], int.Parse(args[2]));
var connections = args.Length > 3 ? args[3] : "8";
var provider = args.Length > 4 ? args[4] : "sqlite";
var dispatchOnly = Environment.GetEnvironmentVariable("BENCH_DISPATCH_ONLY") == "1";
// The second process shares the first one's data folder, hence its SQLite file.
var data = dispatchOnly ? Environment.GetEnvironmentVariable("BENCH_DATA")! : Directory.CreateTempSubdirectory("herald-bench-email-").FullName;
try
{
    var settings = new Dictionary<string, string?>
    {
        ["Herald:DataDirectory"] = data,
        ["Herald:Urls"] = "http://127.0.0.1:0",
        ["Herald:Database:Provider"] = provider,
        ["Herald:Database:ConnectionString"] = args.Length > 5 ? args[5] : "",
        ["Herald:Transport:Email"] = "smtp",
        ["Herald:Email:Smtp:Host"] = host,
        ["Herald:Email:Smtp:Port"] = port,
        ["Herald:Email:Smtp:Security"] = "none",
        ["Herald:Email:Smtp:Connections"] = connections,
        ["Herald:Email:Smtp:PerDomainConnections"] = connections,
        ["Herald:Email:Bounces:Domain"] = "bounces.bench.test",
        ["Herald:Email:Bounces:TokenSecret"] = "bench-secret-0123456789abcdef",
        ["Herald:Email:UnsubscribeBaseUrl"] = "https://herald.bench.test/",
        ["Herald:Dispatch:PollInterval"] = "00:00:00.020",
        ["Logging:LogLevel:Default"] = "Warning",
    };
    await using var app = HeraldApp.Build([], c => c.AddInMemoryCollection(settings));
    await app.StartAsync();
    if (dispatchOnly)
    {
        // Dispatch until the first process closes our standard input, then stop gracefully (sends finish, answers recorded).
        Console.WriteLine("ready");
        await Console.In.ReadToEndAsync();
        await app.StopAsync();
        return 0;
    }
    var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    if (Environment.GetEnvironmentVariable("BENCH_TRANSPORT_ONLY") == "1")
    {
        // Diagnosis: the SMTP transport alone (no database), same message shape.
        var t = app.Services.GetRequiredService<Herald.Email.IEmailTransport>();
        var sw0 = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(1, n), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, ct) =>
        {
            var m = new MimeKit.MimeMessage();
            m.From.Add(MimeKit.MailboxAddress.Parse("office@bench.test"));
            m.To.Add(MimeKit.MailboxAddress.Parse($"contact{i}@d{i % 10}.bench.test"));
            m.Subject = "Sports day";
            m.Body = new MimeKit.BodyBuilder { TextBody = "Sports day is on Friday.", HtmlBody = "<p>Sports day</p>" }.ToMessageBody();
            var r = await t.SendAsync(new Herald.Email.OutgoingEmail(i, 1, 1, $"contact{i}@d{i % 10}.bench.test", m), ct);
            if (r.Status != Herald.Core.Deliveries.DeliveryStatus.Sent) throw new InvalidOperationException(r.Detail);
        });
        Console.WriteLine($"transport-only\t{n}\t{sw0.Elapsed.TotalSeconds:F2}\t{n / sw0.Elapsed.TotalSeconds:F0}");
        return 0;
    }
    var schools = app.Services.GetRequiredService<SchoolStore>();
    var school = schools.Add("bench", "Bench School", "office@bench.test", "The Office", null, "GB");
    if (Environment.GetEnvironmentVariable("BENCH_BUILD_ONLY") == "1")
    {
        // Diagnosis: the CPU of building and serialising Herald's message alone (no network, no database), one thread.
        var builder = app.Services.GetRequiredService<Herald.Email.MessageBuilder>();
        var a = new Herald.Announcements.Announcement(1, school.Id, "Sports day", "Sports day is on Friday. Bring water and a hat.",
            "<p>Sports day is on <b>Friday</b>. Bring water and a hat.</p>", null, [Herald.Core.Deliveries.Channel.Email], "general", false,
            null!, "school", "sent", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);
        var swb = Stopwatch.StartNew();
        for (var i = 0; i < n; i++) builder.Build(school, a, i, 1, $"contact{i}@d{i % 10}.bench.test", $"Contact {i}");
        var build = swb.Elapsed;
        swb.Restart();
        for (var i = 0; i < n; i++)
            builder.Build(school, a, i, 1, $"contact{i}@d{i % 10}.bench.test", $"Contact {i}").WriteTo(MimeKit.FormatOptions.Default, Stream.Null);
        Console.WriteLine($"build-only\t{n}\tbuild {build.TotalSeconds:F2} s\tbuild + write {swb.Elapsed.TotalSeconds:F2} s");
        return 0;
    }
    using var http = new HttpClient { BaseAddress = new Uri(url.TrimEnd('/') + "/"), Timeout = TimeSpan.FromMinutes(10) };
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", schools.CreateKey(school.Id, "bench", false));

    // N contacts over ten recipient domains, in one CSV import (not timed).
    var csv = new StringBuilder("external_id,role,name,email,mobile,groups,opt_outs,digest\n");
    for (var i = 0; i < n; i++) csv.Append($"c{i},guardian,Contact {i},contact{i}@d{i % 10}.bench.test,,all,,no\n");
    var body = new StringContent(csv.ToString(), Encoding.UTF8, "text/csv");
    (await http.PostAsync("api/v1/contacts/import", body)).EnsureSuccessStatusCode();
    var created = await http.PostAsync("api/v1/announcements", new StringContent(
        """{"subject":"Sports day","text":"Sports day is on Friday. Bring water and a hat.","html":"<p>Sports day is on <b>Friday</b>. Bring water and a hat.</p>","channels":["email"],"category":"general","audience":{"groups":["all"]}}""",
        Encoding.UTF8, "application/json"));
    created.EnsureSuccessStatusCode();
    var id = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<long>();

    Process? second = null;
    if (Environment.GetEnvironmentVariable("BENCH_PROCESSES") == "2")
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardInput = true, RedirectStandardOutput = true };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["BENCH_DISPATCH_ONLY"] = "1";
        start.Environment["BENCH_DATA"] = data;
        start.Environment.Remove("BENCH_PROCESSES");
        second = Process.Start(start)!;
        if (await second.StandardOutput.ReadLineAsync() != "ready") throw new InvalidOperationException("the second process did not start");
    }

    var sw = Stopwatch.StartNew();
    (await http.PostAsync($"api/v1/announcements/{id}/send", null)).EnsureSuccessStatusCode();
    var decided = sw.Elapsed;
    JsonNode counts;
    while (true)
    {
        counts = JsonNode.Parse(await http.GetStringAsync($"api/v1/announcements/{id}/report?pageSize=1"))!["counts"]!["email"]!;
        var done = counts.AsObject().Where(p => p.Key is not ("queued" or "soft_bounce")).Sum(p => p.Value!.GetValue<long>());
        if (done >= n) break;
        if (sw.Elapsed > TimeSpan.FromMinutes(10)) throw new TimeoutException($"not done after 10 minutes: {counts.ToJsonString()}");
        await Task.Delay(20);
    }
    sw.Stop();
    var sent = counts["sent"]?.GetValue<long>() ?? 0;
    if (sent != n) throw new InvalidOperationException($"expected {n} sent, report says {counts.ToJsonString()}");
    var label = $"herald-{provider}-{(second is null ? 1 : 2)}p";
    Console.WriteLine($"{label}\t{n}\t{sw.Elapsed.TotalSeconds:F2}\t{n / sw.Elapsed.TotalSeconds:F0}");
    if (second is not null)
    {
        second.StandardInput.Close();
        await second.WaitForExitAsync();
    }
    // The send request itself (deciding and queueing N deliveries) is part of the figure above; shown apart here.
    var dispatch = sw.Elapsed - decided;
    Console.Error.WriteLine($"herald: send request (decide + queue) {decided.TotalSeconds:F2} s, dispatch {dispatch.TotalSeconds:F2} s " +
                            $"(dispatch only: {n / dispatch.TotalSeconds:F0} msg/s)");
    await app.StopAsync();
    return 0;
}
finally
{
    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    if (!dispatchOnly) Directory.Delete(data, true);
}

// SMS benchmark: one private Kannel (bearerbox + smsbox, a `fake` SMSC with Kannel's fakesmsc on the other end),
// three measurements in the same run, each timed until bearerbox's status says N more messages went to the SMSC:
//   (a) Kannel alone, fakesmsc-fed: fakesmsc injects 5 N MO messages as fast as it can; smsbox answers each with a
//       reply MT (sms-service text), which bearerbox sends back to fakesmsc. No HTTP, no Herald: Kannel's own rate.
//   (b) Kannel's sendsms, one request at a time from a plain HttpClient, with the same parameters Herald sends
//       (dlr-mask and a dlr-url): the HTTP path Herald uses, without Herald.
//   (b8) the same with 8 requests in flight, for what sendsms takes when the client does not wait for each answer.
//   (c) Herald: an announcement to N contacts, Herald's dispatcher -> sendsms -> fake SMSC, on SQLite.
// usage: Herald.Bench.Sms [N]   (bearerbox, smsbox and /usr/lib/kannel/test/fakesmsc installed; see bench/sms.sh)
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Herald.Hosting;
using Herald.Schools;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

var n = args.Length > 0 ? int.Parse(args[0]) : 2000;
const string Fakesmsc = "/usr/lib/kannel/test/fakesmsc";
var dir = Directory.CreateTempSubdirectory("herald-bench-sms-").FullName;
var processes = new List<Process>();
int admin = FreePort(), boxPort = FreePort(), smscPort = FreePort(), sendsms = FreePort(), heraldPort = FreePort();
var herald = $"http://127.0.0.1:{heraldPort}";
try
{
    var conf = Path.Combine(dir, "kannel.conf");
    File.WriteAllText(conf, $"""
        group = core
        admin-port = {admin}
        admin-interface = 127.0.0.1
        admin-password = bench
        admin-allow-ip = "127.0.0.1"
        smsbox-port = {boxPort}
        smsbox-interface = 127.0.0.1
        box-allow-ip = "127.0.0.1"
        log-file = "{dir}/bearerbox.log"
        log-level = 2
        dlr-storage = internal

        group = smsc
        smsc = fake
        smsc-id = fake
        port = {smscPort}
        connect-allow-ip = 127.0.0.1

        group = smsbox
        bearerbox-host = 127.0.0.1
        bearerbox-port = {boxPort}
        sendsms-port = {sendsms}
        sendsms-interface = 127.0.0.1
        log-file = "{dir}/smsbox.log"
        log-level = 2

        group = sendsms-user
        username = bench
        password = bench-password

        group = sms-service
        keyword = default
        text = "ok"
        """);
    Start("bearerbox", "-v", "2", conf);
    await WaitPort(admin); await WaitPort(boxPort);
    Start("smsbox", "-v", "2", conf);
    await WaitPort(sendsms);
    using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
    Console.WriteLine($"N = {n} messages per measurement; Kannel {Version()}");

    // (a) fakesmsc feeds N MO messages (interval 0: as fast as it can); it stays connected afterwards and is the
    // SMSC end of (b) and (c) too.
    // The clock starts when bearerbox has received the first message, so fakesmsc's start and its connection to
    // the fake SMSC are not counted; 5 N messages, so that one poll of the status page (~10 ms) is small beside it.
    var na = 5 * n;
    var (baseReceived, baseSent) = await CountsAsync();
    Start(Fakesmsc, "-H", "127.0.0.1", "-r", smscPort.ToString(), "-i", "0", "-m", na.ToString(), "447400100001 12345 text bench");
    while ((await CountsAsync()).Received == baseReceived) await Task.Delay(1);
    var sw = Stopwatch.StartNew();
    await WaitSentAsync(baseSent + na);
    var kannelOwn = na / sw.Elapsed.TotalSeconds;
    Console.WriteLine($"(a) Kannel alone, fakesmsc-fed (MO in, reply MT out):  {kannelOwn,8:N0} msg/s  ({na} in {sw.Elapsed.TotalSeconds:F2} s)");

    // Herald, on SQLite in the temp dir, with the Kannel transport.
    var app = HeraldApp.Build([], b => b.AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["Herald:Urls"] = herald,
        ["Herald:DataDirectory"] = Path.Combine(dir, "herald"),
        ["Herald:Dispatch:PollInterval"] = "00:00:00.050",
        ["Herald:Transport:Sms"] = "kannel",
        ["Herald:Sms:Kannel:SendsmsUrl"] = $"http://127.0.0.1:{sendsms}/cgi-bin/sendsms",
        ["Herald:Sms:Kannel:Username"] = "bench",
        ["Herald:Sms:Kannel:Password"] = "bench-password",
        ["Herald:Sms:Kannel:From"] = "Herald",
        ["Herald:Sms:Kannel:DlrBaseUrl"] = herald,
        ["Herald:Sms:Kannel:TokenSecret"] = "bench-dlr-secret-0123456789",
        ["Logging:LogLevel:Default"] = "Warning",
    }));
    await app.StartAsync();
    var schools = app.Services.GetRequiredService<SchoolStore>();
    var school = schools.Add("bench", "Bench School", "office@bench.example", "Office", null, "GB");
    using var api = new HttpClient { BaseAddress = new Uri(herald + "/"), Timeout = TimeSpan.FromMinutes(5) };
    api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", schools.CreateKey(school.Id, "bench", false));

    // (b) the same sendsms requests Herald makes, one at a time; the dlr-url reaches Herald, which refuses its bad
    // token, so Kannel does the same DLR work as in (c). 20 first as a warm-up.
    async Task Direct(int count, int offset)
    {
        for (var i = 0; i < count; i++)
        {
            var url = $"http://127.0.0.1:{sendsms}/cgi-bin/sendsms?username=bench&password=bench-password&to=%2B4474002{offset + i:D5}" +
                      $"&from=Herald&text=Sports+day+is+on+Friday.&dlr-mask=31&dlr-url={Uri.EscapeDataString(herald + "/api/v1/sms/kannel/dlr?d=1&a=1&t=x&type=%d")}";
            var answer = await http.GetStringAsync(url);
            if (!answer.StartsWith("0:") && !answer.StartsWith("3:")) throw new InvalidOperationException($"sendsms answered: {answer}");
        }
    }
    baseSent = await SentAsync();
    await Direct(20, 90000);
    await WaitSentAsync(baseSent + 20);
    baseSent = await SentAsync();
    sw.Restart();
    await Direct(n, 0);
    await WaitSentAsync(baseSent + n);
    var direct = n / sw.Elapsed.TotalSeconds;
    Console.WriteLine($"(b) Kannel sendsms, plain HTTP client, sequential:     {direct,8:N0} msg/s  ({sw.Elapsed.TotalSeconds:F2} s)");
    // (b8) the same with 8 requests in flight: what sendsms can take when the client does not wait for each answer.
    baseSent = await SentAsync();
    sw.Restart();
    await Task.WhenAll(Enumerable.Range(0, 8).Select(k => Direct(n / 8, 20000 + k * (n / 8))));
    await WaitSentAsync(baseSent + n / 8 * 8);
    var parallel = n / 8 * 8 / sw.Elapsed.TotalSeconds;
    Console.WriteLine($"(b8) Kannel sendsms, plain HTTP client, 8 in flight:  {parallel,8:N0} msg/s  ({sw.Elapsed.TotalSeconds:F2} s)");

    // (c) Herald: contacts imported, one announcement per group; 20 first as a warm-up.
    await Import(api, "warm", 20, 3000);
    await Import(api, "bench", n, 10000);
    baseSent = await SentAsync();
    await SendGroup(api, "warm");
    await WaitSentAsync(baseSent + 20);
    baseSent = await SentAsync();
    sw.Restart();
    var id = await SendGroup(api, "bench");
    await WaitSentAsync(baseSent + n);
    var heraldRate = n / sw.Elapsed.TotalSeconds;
    var report = JsonNode.Parse(await api.GetStringAsync($"api/v1/announcements/{id}/report?pageSize=1"))!;
    Console.WriteLine($"(c) Herald dispatcher -> sendsms -> fake SMSC:         {heraldRate,8:N0} msg/s  ({sw.Elapsed.TotalSeconds:F2} s; sms counts {report["counts"]!["sms"]!.ToJsonString()})");
    Console.WriteLine($"ratio Herald / Kannel fakesmsc-fed (c/a): {heraldRate / kannelOwn:F2}");
    Console.WriteLine($"ratio Herald / plain sendsms client (c/b): {heraldRate / direct:F2}");
    Console.WriteLine($"ratio Herald / 8 in flight (c/b8): {heraldRate / parallel:F2}");
    await app.StopAsync();
    return 0;
}
finally
{
    foreach (var p in Enumerable.Reverse(processes))
    {
        try { p.Kill(); p.WaitForExit(5000); } catch (InvalidOperationException) { }
    }
    try { Directory.Delete(dir, true); } catch (IOException) { }
}

void Start(string file, params string[] a)
{
    var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
    foreach (var x in a) psi.ArgumentList.Add(x);
    var p = Process.Start(psi)!;
    // Drain the output (fakesmsc prints every message) so a full pipe never slows the process down.
    p.OutputDataReceived += (_, _) => { };
    p.ErrorDataReceived += (_, _) => { };
    p.BeginOutputReadLine(); p.BeginErrorReadLine();
    processes.Add(p);
}

async Task<string> Status() => await new HttpClient().GetStringAsync($"http://127.0.0.1:{admin}/status.txt?password=bench");

string Version() => Regex.Match(Status().GetAwaiter().GetResult(), "version `([^']+)'").Groups[1].Value;

// bearerbox's count of SMS sent to the SMSC ("SMS: received R (q queued), sent S (q queued)").
async Task<(long Received, long Sent)> CountsAsync()
{
    var m = Regex.Match(await Status(), @"SMS: received (\d+) \(\d+ queued\), sent (\d+)");
    return (long.Parse(m.Groups[1].Value), long.Parse(m.Groups[2].Value));
}

async Task<long> SentAsync() => (await CountsAsync()).Sent;

async Task WaitSentAsync(long target)
{
    var limit = Stopwatch.StartNew();
    long sent;
    while ((sent = await SentAsync()) < target)
    {
        if (limit.Elapsed > TimeSpan.FromMinutes(10)) throw new TimeoutException($"bearerbox sent {sent}, waited for {target}; logs in {dir}");
        await Task.Delay(10);
    }
}

async Task Import(HttpClient c, string group, int count, int start)
{
    var csv = new StringBuilder("external_id,role,name,email,mobile,groups,opt_outs,digest\n");
    for (var i = 0; i < count; i++) csv.Append($"{group}{i},guardian,Parent {i},,+4474001{start + i:D5},{group},,no\n");
    var content = new StringContent(csv.ToString(), Encoding.UTF8, "text/csv");
    (await c.PostAsync("api/v1/contacts/import", content)).EnsureSuccessStatusCode();
}

async Task<long> SendGroup(HttpClient c, string group)
{
    var body = new StringContent(System.Text.Json.JsonSerializer.Serialize(new
    {
        subject = "Sports day", text = "Sports day is on Friday.", channels = new[] { "sms" }, category = "general",
        audience = new { groups = new[] { group } },
    }), Encoding.UTF8, "application/json");
    var created = await c.PostAsync("api/v1/announcements", body);
    created.EnsureSuccessStatusCode();
    var id = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<long>();
    (await c.PostAsync($"api/v1/announcements/{id}/send", null)).EnsureSuccessStatusCode();
    return id;
}

static int FreePort()
{
    using var l = new TcpListener(IPAddress.Loopback, 0);
    l.Start();
    return ((IPEndPoint)l.LocalEndpoint).Port;
}

static async Task WaitPort(int port)
{
    for (var i = 0; i < 600; i++)
    {
        try { using var t = new TcpClient(); await t.ConnectAsync(IPAddress.Loopback, port); return; }
        catch (SocketException) { await Task.Delay(100); }
    }
    throw new TimeoutException($"nothing listens on 127.0.0.1:{port}");
}

using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Herald.Cli;
using Herald.Tests.Api;

namespace Herald.Tests.Faults;

/// <summary>The fault tests start, stop and kill Herald processes and real servers: they run one after another (in
/// parallel with the rest of the suite), so that one's load does not decide another's timing.</summary>
[CollectionDefinition(nameof(FaultTests))]
public sealed class FaultTests;

/// <summary>What the fault tests share: a school made on the command line, many recipients, an announcement to all of
/// them, patient waits on the report, and the count of what the relay received.</summary>
public static class FaultSteps
{
    /// <summary>How long a test waits for Herald to finish an announcement after a fault.</summary>
    public static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(120);

    /// <summary>Adds a school and a key for it with <c>herald schools add</c> and <c>herald keys create</c> on
    /// <paramref name="storage"/> (which this also migrates), as an operator would; returns the key.</summary>
    public static async Task<string> CreateSchoolKeyAsync(HeraldStorage storage)
    {
        var slug = "faults-" + Guid.NewGuid().ToString("N")[..8];
        await RunCliAsync(storage, "schools", "add", slug, "--name", "Fault School", "--from", $"office@{slug}.example");
        return (await RunCliAsync(storage, "keys", "create", "--school", slug, "--name", "fault-test")).Trim();
    }

    private static async Task<string> RunCliAsync(HeraldStorage storage, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await HeraldCli.RunAsync(args, output, error, storage.Settings);
        Assert.True(exit == 0, $"herald {string.Join(' ', args)} exited {exit}: {output}{error}");
        return output.ToString();
    }

    /// <summary><paramref name="count"/> recipient addresses of one domain, numbered.</summary>
    public static List<string> Addresses(int count) =>
        Enumerable.Range(1, count).Select(i => $"parent{i:D4}@families.test").ToList();

    /// <summary>Imports one guardian per address (one CSV upload, as a school's office does).</summary>
    public static async Task ImportAsync(HttpClient c, IReadOnlyList<string> addresses)
    {
        var csv = new StringBuilder("external_id,role,name,email,mobile,groups,opt_outs,digest\n");
        for (var i = 0; i < addresses.Count; i++) csv.Append($"g{i},guardian,Guardian {i},{addresses[i]},,,,\n");
        var result = await c.PostCsv(csv.ToString()).ExpectAsync(HttpStatusCode.OK);
        Assert.True(result["errors"] is not JsonArray { Count: > 0 }, $"the import reported errors: {result.ToJsonString()}");
    }

    /// <summary>Creates an email announcement to every contact of the school and sends it; returns its id.</summary>
    public static async Task<long> AnnounceToAllAsync(HttpClient c, string subject)
    {
        var body = await c.PostJson("api/v1/announcements", new
        {
            subject, text = "School is closed tomorrow.", channels = new[] { "email" }, category = "general", essential = false,
            audience = new { all = true },
        }).ExpectAsync(HttpStatusCode.Created);
        var id = body["id"]!.GetValue<long>();
        await c.SendAsync(id);
        return id;
    }

    /// <summary>Polls the report until <paramref name="done"/> holds. A report Herald cannot answer for a moment (its
    /// database just came back) is polled again; the failure names what was awaited, the last report or error, and
    /// <paramref name="context"/>'s text (the processes' output).</summary>
    public static async Task<JsonNode> WaitForReportAsync(HttpClient c, long announcement, Func<JsonNode, bool> done, string what,
        Func<string> context, TimeSpan? timeout = null, int pageSize = 500)
    {
        var limit = timeout ?? SettleTimeout;
        var clock = Stopwatch.StartNew();
        var last = "no answer yet";
        while (true)
        {
            try
            {
                using var r = await c.GetAsync($"api/v1/announcements/{announcement}/report?pageSize={pageSize}");
                var text = await r.Content.ReadAsStringAsync();
                if (r.StatusCode == HttpStatusCode.OK)
                {
                    var report = JsonNode.Parse(text)!;
                    if (done(report)) return report;
                    var pending = report.Lines().Where(l => l.Str("status") != "sent").Take(3)
                        .Select(l => $"{l.Str("address")}: {l.Str("status")} ({l.Str("reason")}) {l.Str("explanation")}");
                    last = $"counts {report["counts"]!["email"]!.ToJsonString()}; not sent, e.g. {string.Join("; ", pending)}";
                }
                else last = $"{(int)r.StatusCode} {text}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { last = e.Message; }
            if (clock.Elapsed > limit)
                throw new Xunit.Sdk.XunitException(
                    $"waited {limit.TotalSeconds:0} s for {what} on announcement {announcement}; last report: {last}\n{context()}");
            await Task.Delay(200);
        }
    }

    /// <summary>Nothing left to try: no delivery queued (or claimed) and none waiting for a retry.</summary>
    public static bool Settled(JsonNode report) => report.Count("queued") == 0 && report.Count("soft_bounce") == 0;

    /// <summary>Waits until the relay has received at least <paramref name="count"/> messages.</summary>
    public static Task WaitForRelayAsync(Servers.SmtpSink sink, int count, string what, Func<string> context, TimeSpan? timeout = null) =>
        Servers.ServerHelpers.WaitUntilAsync(() => Task.FromResult(sink.Received().Count >= count), timeout ?? TimeSpan.FromSeconds(60),
            () => $"the relay to receive {what} (it has {sink.Received().Count})\n{context()}", TimeSpan.FromMilliseconds(100));

    /// <summary>A Herald process stopped in the middle of a send: its announcement, how many messages the relay had
    /// when the signal went and once the process had gone, its exit code and its output.</summary>
    public sealed record Interrupted(long Announcement, int AtRelayBefore, int AtRelayAfter, int ExitCode, string Output);

    /// <summary>Starts Herald on <paramref name="storage"/>, imports <paramref name="addresses"/>, sends them an
    /// announcement and, once the relay has <paramref name="atRelay"/> messages, stops the process with SIGKILL
    /// (<paramref name="kill"/>) or SIGTERM, and waits until it has gone.</summary>
    public static async Task<Interrupted> SendAndStopAsync(HeraldStorage storage, string key, IReadOnlyDictionary<string, string?> settings,
        Servers.SmtpSink sink, IReadOnlyList<string> addresses, int atRelay, bool kill)
    {
        await using var first = await HeraldProcess.StartAsync(storage, settings, "first");
        var c = first.CreateClient(key);
        await ImportAsync(c, addresses);
        var announcement = await AnnounceToAllAsync(c, "Closed tomorrow");
        await WaitForRelayAsync(sink, atRelay, $"{atRelay} message(s)", () => first.Output());
        var before = sink.Received().Count;
        if (kill) first.Kill();
        else first.Terminate();
        var exitCode = await first.WaitForExitAsync(TimeSpan.FromSeconds(90), kill ? "SIGKILL" : "SIGTERM");
        return new Interrupted(announcement, before, sink.Received().Count, exitCode, first.Output());
    }

    /// <summary>What the relay received, against the recipients the announcement was for.</summary>
    public sealed record Tally(int Expected, int Messages, IReadOnlyList<string> Missing, IReadOnlyDictionary<string, int> Repeated,
        IReadOnlyList<string> Strangers)
    {
        /// <summary>Messages beyond the first to each recipient.</summary>
        public int Duplicates => Repeated.Values.Sum(n => n - 1);

        public static Tally Of(IReadOnlyList<string> expected, IReadOnlyList<string> received)
        {
            var counts = received.GroupBy(r => r, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.Count(), StringComparer.OrdinalIgnoreCase);
            var wanted = expected.ToHashSet(StringComparer.OrdinalIgnoreCase);
            return new Tally(expected.Count, received.Count,
                expected.Where(a => !counts.ContainsKey(a)).ToList(),
                counts.Where(kv => kv.Value > 1).OrderBy(kv => kv.Key).ToDictionary(kv => kv.Key, kv => kv.Value),
                counts.Keys.Where(a => !wanted.Contains(a)).Order().ToList());
        }

        public override string ToString() =>
            $"{Messages} messages for {Expected} recipients: {Expected - Missing.Count} received, {Missing.Count} never " +
            $"({string.Join(", ", Missing.Take(10))}{(Missing.Count > 10 ? ", …" : "")}), {Duplicates} duplicates to {Repeated.Count} recipients " +
            $"({string.Join(", ", Repeated.Take(10).Select(kv => $"{kv.Key} ×{kv.Value}"))}{(Repeated.Count > 10 ? ", …" : "")})" +
            (Strangers.Count > 0 ? $", and {Strangers.Count} to addresses not in the audience ({string.Join(", ", Strangers.Take(5))})" : "");
    }

    /// <summary>Every recipient line of a report whose status is not <c>sent</c>, as "address: status".</summary>
    public static List<string> NotSent(JsonNode report) =>
        report.Lines().Where(l => l.Str("status") != "sent").Select(l => $"{l.Str("address")}: {l.Str("status")}").ToList();
}

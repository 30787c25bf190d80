// Report benchmark: one announcement of 100,000 recipients in a deliveries table of 100k, then 1M rows
// (the rest belong to other announcements). For each size, times Herald's report query (counts per status
// from the maintained counters + the first page of recipients) against a plain
// SELECT status, COUNT(*) ... GROUP BY status for that announcement, in the same run. Ratio = plain / report.
// usage: Herald.Bench.Report sqlite|postgres CONNECTION-STRING [REPEATS]
using System.Diagnostics;
using Dapper;
using Herald.Hosting;
using Herald.Reports;
using Herald.Storage;
using Microsoft.Extensions.Options;

if (args.Length < 2) { Console.Error.WriteLine("usage: Herald.Bench.Report sqlite|postgres CONNECTION-STRING [REPEATS]"); return 2; }
var provider = args[0] == "postgres" ? DatabaseProvider.Postgres : DatabaseProvider.Sqlite;
var db = new Database(provider, args[1]);
var repeats = args.Length > 2 ? int.Parse(args[2]) : 50;
db.Migrate();
var queries = new ReportQueries(db, TimeProvider.System, new Herald.Dispatch.DispatchOptions());
const int Recipients = 100_000;
string[] statuses = ["queued", "sent", "delivered", "opened", "clicked", "soft_bounce", "hard_bounce", "rejected", "spam", "dropped", "email_missing", "opted_out", "pending_digest"];

using (var c = db.Open())
{
    c.Execute("INSERT INTO schools (slug, name, created_at) VALUES ('bench', 'Bench', 0)");
}
long target = Seed(Recipients);
Console.WriteLine($"{provider}: table rows, report ms (median), plain GROUP BY ms (median), ratio plain/report");
foreach (var size in new[] { 100_000, 1_000_000 })
{
    var have = Count();
    while (have < size) { Seed(Math.Min(Recipients, size - (int)have)); have = Count(); }
    if (provider == DatabaseProvider.Postgres) using (var c = db.Open()) c.Execute("VACUUM ANALYZE deliveries");
    var report = Median(() => queries.Report(1, target, null, null, 1, 50));
    var plain = Median(() =>
    {
        using var c = db.Open();
        return c.Query<(string, long)>("SELECT status, COUNT(*) FROM deliveries WHERE announcement_id = @target GROUP BY status", new { target }).ToList();
    });
    Console.WriteLine($"{provider}\t{size:N0}\t{report:F3}\t{plain:F3}\t{plain / report:F1}");
}
return 0;

double Median(Func<object?> run)
{
    for (var i = 0; i < 3; i++) run();
    var times = new List<double>();
    for (var i = 0; i < repeats; i++)
    {
        var sw = Stopwatch.StartNew();
        run();
        times.Add(sw.Elapsed.TotalMilliseconds);
    }
    times.Sort();
    return times[times.Count / 2];
}

long Count() { using var c = db.Open(); return c.ExecuteScalar<long>("SELECT COUNT(*) FROM deliveries"); }

// One announcement of n recipients, its deliveries spread over every status, and its counters as Herald keeps them.
long Seed(int n)
{
    using var c = db.Open();
    using var tx = c.BeginTransaction();
    var a = c.ExecuteScalar<long>(
        "INSERT INTO announcements (school_id, subject, channels, category, essential, audience, sender, state, created_at) VALUES (1, 'bench', 'email', 'general', 0, '{}', 'school', 'sent', 0) RETURNING id", transaction: tx);
    var series = provider == DatabaseProvider.Postgres
        ? "SELECT i FROM generate_series(1, @n) AS g(i)"
        : "WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < @n) SELECT i FROM g";
    var statusCase = "CASE (i % 13) " + string.Join(" ", statuses.Select((s, k) => $"WHEN {k} THEN '{s}'")) + " END";
    c.Execute(
        $"""
        INSERT INTO deliveries (school_id, announcement_id, contact_id, channel, address, status, status_at, attempt, tries)
        SELECT 1, @a, i, 'email', 'r' || i || '@example.org', {statusCase}, 0, 1, 1 FROM ({series}) AS s
        """, new { a, n }, tx, commandTimeout: 600);
    c.Execute("INSERT INTO announcement_counts (announcement_id, channel, status, n) SELECT announcement_id, channel, status, COUNT(*) FROM deliveries WHERE announcement_id = @a GROUP BY announcement_id, channel, status",
        new { a }, tx, commandTimeout: 600);
    tx.Commit();
    return a;
}

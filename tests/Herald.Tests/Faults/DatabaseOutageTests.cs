using System.Diagnostics;
using Herald.Tests.Api;
using Herald.Tests.Servers;
using Microsoft.Data.Sqlite;
using Npgsql;
using Xunit.Abstractions;

namespace Herald.Tests.Faults;

/// <summary>The relay's answers come back while Herald cannot write them down: SQLite's write lock held by someone else
/// (a large import, another process), or PostgreSQL gone (a restart, a failover).</summary>
[Collection(nameof(FaultTests))]
public class DatabaseOutageTests(ITestOutputHelper output)
{
    private const int Recipients = 10;

    /// <summary>
    /// How long SQLite's write lock is held: more than twice the 30 s busy timeout Herald has always had, so that every
    /// attempt to record fails even where Herald's own busy timeout is not (yet) configurable, and more than the 24 s
    /// lease, so that the results are still waiting when the claims they belong to have run out. With
    /// <c>Herald:Database:BusyTimeout</c> at 1 s, Herald's writes fail dozens of times meanwhile.
    /// </summary>
    private static readonly TimeSpan SqliteLockHeld = TimeSpan.FromSeconds(70);

    /// <summary>How long the PostgreSQL database refuses every connection.</summary>
    private static readonly TimeSpan PostgresDown = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Answers_that_arrive_while_another_connection_holds_SQLites_write_lock_are_recorded_once_it_is_free_and_nobody_gets_two_messages()
    {
        await SendThroughAsync("sqlite", SqliteLockHeld, async storage =>
        {
            var file = Path.Combine(storage.DataDirectory, "herald.db");
            var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Pooling = false }.ToString());
            c.Open();
            using (var begin = c.CreateCommand())
            {
                // Waits (up to 30 s) for a write Herald may have under way, then holds the write lock until disposed.
                begin.CommandText = "PRAGMA busy_timeout=30000; BEGIN IMMEDIATE;";
                begin.ExecuteNonQuery();
            }
            return new Fault($"SQLite's write lock on {file}", () =>
            {
                using (var end = c.CreateCommand()) { end.CommandText = "ROLLBACK;"; end.ExecuteNonQuery(); }
                c.Dispose();
                return Task.CompletedTask;
            });
        });
    }

    /// <summary>
    /// The database is taken away the way a restart does it, but only Herald's own database on the shared test cluster:
    /// <c>ALLOW_CONNECTIONS false</c> (which holds for superusers too) and every session on it terminated, so each write
    /// Herald tries fails for real, whether on a pooled connection (terminated: the next command fails) or a new one
    /// (refused: "not currently accepting connections"). Renaming a table would fail only the statements that name it,
    /// and terminating sessions in a loop races with Herald's reconnects; this fails them all, claims included, until
    /// the test lets connections in again.
    /// </summary>
    [Fact]
    public async Task Answers_that_arrive_while_PostgreSQL_refuses_every_connection_are_recorded_once_it_is_back_and_nobody_gets_two_messages()
    {
        await SendThroughAsync("postgres", PostgresDown, async storage =>
        {
            var server = await PostgresServer.Shared;
            var database = new NpgsqlConnectionStringBuilder(storage.ConnectionString).Database!;
            var admin = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Pooling = false }.ConnectionString;
            async Task Sql(string sql)
            {
                await using var c = new NpgsqlConnection(admin);
                await c.OpenAsync();
                await using var cmd = new NpgsqlCommand(sql, c);
                await cmd.ExecuteNonQueryAsync();
            }
            await Sql($"ALTER DATABASE \"{database}\" WITH ALLOW_CONNECTIONS false");
            // Twice: a session that was being opened while the first ran is gone after the second.
            for (var i = 0; i < 2; i++)
            {
                await Sql($"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}' AND pid <> pg_backend_pid()");
                await Task.Delay(100);
            }
            // The outage is real: a new connection to Herald's database is refused.
            var refused = await Assert.ThrowsAsync<PostgresException>(async () =>
            {
                await using var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(storage.ConnectionString) { Pooling = false }.ConnectionString);
                await c.OpenAsync();
            });
            Assert.Equal("55000", refused.SqlState);
            return new Fault($"PostgreSQL database {database} refusing connections", () => Sql($"ALTER DATABASE \"{database}\" WITH ALLOW_CONNECTIONS true"));
        });
    }

    private sealed record Fault(string What, Func<Task> End);

    /// <summary>
    /// Sends to <see cref="Recipients"/> addresses through a relay that answers each message 2 s after it has it; once the
    /// first message is at the relay (every delivery claimed, the sends in flight) starts <paramref name="start"/>'s
    /// fault, keeps it for <paramref name="hold"/>, ends it; then every recipient must have exactly one message and every
    /// delivery must be sent.
    /// </summary>
    private async Task SendThroughAsync(string provider, TimeSpan hold, Func<HeraldStorage, Task<Fault>> start)
    {
        await using var sink = await SmtpSink.StartAsync(dump: true, answerDelaySeconds: 2);
        using var storage = await HeraldStorage.CreateAsync(provider);
        var key = await FaultSteps.CreateSchoolKeyAsync(storage);
        var settings = HeraldProcess.SmtpSettings(sink, connections: Recipients, smtpTimeout: TimeSpan.FromSeconds(3));
        // The shortest lease the start-up rule allows for a 3 s command timeout (2 × 4 × 3 s).
        settings["Herald:Dispatch:ClaimTimeout"] = "00:00:24";
        settings["Herald:Database:BusyTimeout"] = "00:00:01";
        var addresses = FaultSteps.Addresses(Recipients);

        await using var herald = await HeraldProcess.StartAsync(storage, settings, provider);
        var client = herald.CreateClient(key);
        await FaultSteps.ImportAsync(client, addresses);
        var announcement = await FaultSteps.AnnounceToAllAsync(client, "Closed tomorrow");
        await FaultSteps.WaitForRelayAsync(sink, 1, "the first message", () => herald.Output());

        var clock = Stopwatch.StartNew();
        var fault = await start(storage);
        int atRelayDuringFault;
        try
        {
            // Every message reaches the relay while the database is unavailable, so every answer comes back then too.
            await FaultSteps.WaitForRelayAsync(sink, Recipients, $"all {Recipients} messages while the fault lasts", () => herald.Output());
            atRelayDuringFault = sink.Received().Count;
            var left = hold - clock.Elapsed;
            if (left > TimeSpan.Zero) await Task.Delay(left);
        }
        finally { await fault.End(); }
        output.WriteLine($"{provider}: {fault.What} for {clock.Elapsed.TotalSeconds:0} s; {atRelayDuringFault} messages reached the relay meanwhile");

        var report = await FaultSteps.WaitForReportAsync(client, announcement, FaultSteps.Settled,
            "every delivery to be settled after the fault", () => herald.Output());
        var tally = FaultSteps.Tally.Of(addresses, sink.Received());
        output.WriteLine($"{provider}: after the fault: {tally}; counts {report["counts"]!["email"]!.ToJsonString()}");
        Assert.True(tally.Missing.Count == 0 && tally.Duplicates == 0 && tally.Strangers.Count == 0, $"the relay received {tally}\n{herald.Output(80)}");
        Assert.True(report.Count("sent") == Recipients && FaultSteps.NotSent(report) is { Count: 0 },
            $"not every delivery is sent: {report["counts"]!["email"]!.ToJsonString()} {string.Join("; ", FaultSteps.NotSent(report))}\n{herald.Output(80)}");
    }
}

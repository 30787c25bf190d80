using System.Data.Common;
using DbUp;
using DbUp.Builder;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Herald.Storage;

/// <summary>Which database engine is behind <see cref="Database"/>.</summary>
public enum DatabaseProvider { Sqlite, Postgres }

/// <summary>
/// Opens connections to Herald's one schema on SQLite or PostgreSQL and runs its migrations. The SQL is the
/// same on both; the few engine differences (row locks) are properties here rather than copies of queries.
/// </summary>
public sealed class Database
{
    public Database(DatabaseProvider provider, string connectionString, TimeSpan? busyTimeout = null)
    {
        Provider = provider;
        ConnectionString = connectionString;
        _busyTimeoutMs = (long)(busyTimeout ?? TimeSpan.FromSeconds(30)).TotalMilliseconds;
    }

    private readonly long _busyTimeoutMs;

    /// <summary>The database's own clock in Unix milliseconds, as SQL: leases are compared on it, so that processes
    /// whose clocks differ still agree on when a claim lapses.</summary>
    public string NowMs => Provider == DatabaseProvider.Postgres
        ? "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)"
        : "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";

    public DatabaseProvider Provider { get; }
    public string ConnectionString { get; }

    /// <summary><c> FOR UPDATE</c> on PostgreSQL; SQLite's write transactions are already exclusive.</summary>
    public string ForUpdate => Provider == DatabaseProvider.Postgres ? " FOR UPDATE" : "";

    /// <summary>Lets several Herald processes claim work from one PostgreSQL without waiting on each other.</summary>
    public string ForUpdateSkipLocked => Provider == DatabaseProvider.Postgres ? " FOR UPDATE SKIP LOCKED" : "";

    /// <summary>Builds the database from options, resolving SQLite's default file in the data folder.</summary>
    public static Database FromOptions(DatabaseOptions options, string dataDirectory)
    {
        switch (options.Provider.Trim().ToLowerInvariant())
        {
            case "sqlite":
                var cs = options.ConnectionString;
                if (string.IsNullOrWhiteSpace(cs))
                {
                    Directory.CreateDirectory(dataDirectory);
                    cs = new SqliteConnectionStringBuilder
                    {
                        DataSource = Path.GetFullPath(Path.Combine(dataDirectory, "herald.db")),
                        Pooling = true,
                        ForeignKeys = true,
                        // Microsoft.Data.Sqlite retries a locked statement itself until this (whole seconds); with
                        // busy_timeout it bounds how long a write waits for another's lock (Herald:Database:BusyTimeout).
                        DefaultTimeout = (int)Math.Ceiling(options.BusyTimeout.TotalSeconds),
                    }.ToString();
                }
                return new Database(DatabaseProvider.Sqlite, cs, options.BusyTimeout);
            case "postgres" or "postgresql":
                if (string.IsNullOrWhiteSpace(options.ConnectionString))
                    throw new InvalidOperationException("Herald:Database:ConnectionString is required when Herald:Database:Provider is 'postgres'.");
                return new Database(DatabaseProvider.Postgres, Tuned(options.ConnectionString));
            default:
                throw new InvalidOperationException(
                    $"Herald:Database:Provider is '{options.Provider}'; use 'sqlite' or 'postgres'.");
        }
    }

    /// <summary>
    /// Npgsql settings Herald's use of PostgreSQL gains from, unless the connection string sets them: Herald sets no
    /// session state, so a pooled connection need not be reset (DISCARD ALL) before its next use; and its statements are
    /// few and repeated (the ledger's are constant text), so preparing them once saves the server parsing and planning
    /// each one every time.
    /// </summary>
    private static string Tuned(string connectionString)
    {
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        if (!ContainsKey(connectionString, "No Reset On Close", "NoResetOnClose")) b.NoResetOnClose = true;
        if (!ContainsKey(connectionString, "Max Auto Prepare", "MaxAutoPrepare")) b.MaxAutoPrepare = 64;
        return b.ConnectionString;
    }

    private static bool ContainsKey(string connectionString, params string[] keys) =>
        connectionString.Split(';').Any(part => keys.Any(k => part.Split('=')[0].Trim().Replace(" ", "").Equals(k.Replace(" ", ""), StringComparison.OrdinalIgnoreCase)));

    /// <summary>
    /// "column IN list" for Dapper: Dapper passes a list as one array parameter to Npgsql (which has arrays), so PostgreSQL
    /// needs <c>= ANY(@p)</c>; on SQLite Dapper expands <c>IN @p</c> into one parameter per item.
    /// </summary>
    public static string InList(DbConnection c, string parameter) =>
        c is NpgsqlConnection ? $"= ANY(@{parameter})" : $"IN @{parameter}";

    /// <summary>
    /// A read-only snapshot: the report's counts and its recipient lines must agree even while the dispatcher
    /// commits (REPEATABLE READ on PostgreSQL; a deferred transaction is a snapshot under SQLite's WAL).
    /// </summary>
    public DbTransaction BeginSnapshot(DbConnection c) => c switch
    {
        SqliteConnection s => s.BeginTransaction(deferred: true),
        _ => c.BeginTransaction(System.Data.IsolationLevel.RepeatableRead),
    };

    public DbConnection Open()
    {
        DbConnection c = Provider == DatabaseProvider.Postgres
            ? new NpgsqlConnection(ConnectionString)
            : new SqliteConnection(ConnectionString);
        c.Open();
        if (c is SqliteConnection)
        {
            using var cmd = c.CreateCommand();
            // synchronous=NORMAL is safe with WAL (a crash loses at most the last commits, never corrupts).
            // busy_timeout: how long a writer waits for another's write lock before the statement fails (and the
            // ledger's caller keeps its results and tries again).
            cmd.CommandText = $"PRAGMA synchronous=NORMAL; PRAGMA busy_timeout={_busyTimeoutMs};";
            cmd.ExecuteNonQuery();
        }
        return c;
    }

    public async Task<DbConnection> OpenAsync(CancellationToken ct = default)
    {
        if (Provider == DatabaseProvider.Sqlite) return Open();
        var c = new NpgsqlConnection(ConnectionString);
        await c.OpenAsync(ct);
        return c;
    }

    /// <summary>Brings the schema up to date (embedded scripts under Storage/Migrations, in name order).</summary>
    public void Migrate(Action<string>? log = null)
    {
        UpgradeEngineBuilder builder;
        if (Provider == DatabaseProvider.Postgres)
        {
            builder = DeployChanges.To.PostgresqlDatabase(ConnectionString)
                .WithVariable("identity", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
        }
        else
        {
            using (var c = (SqliteConnection)Open())
            using (var cmd = c.CreateCommand())
            {
                // WAL lets the report and the log read while the dispatcher writes.
                cmd.CommandText = "PRAGMA journal_mode=WAL;";
                cmd.ExecuteNonQuery();
            }
            builder = DeployChanges.To.SqliteDatabase(ConnectionString)
                .WithVariable("identity", "INTEGER PRIMARY KEY AUTOINCREMENT");
        }
        var result = builder
            .WithScriptsEmbeddedInAssembly(typeof(Database).Assembly, name => name.Contains(".Storage.Migrations."))
            .WithTransactionPerScript()
            .LogToNowhere()
            .Build()
            .PerformUpgrade();
        if (!result.Successful)
            throw new InvalidOperationException($"Database migration failed in {result.ErrorScript?.Name}: {result.Error.Message}", result.Error);
        foreach (var s in result.Scripts) log?.Invoke($"applied migration {s.Name}");
    }
}

/// <summary>Times are stored as Unix milliseconds.</summary>
public static class DbTime
{
    public static long Ms(DateTimeOffset t) => t.ToUnixTimeMilliseconds();
    public static DateTimeOffset At(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);
    public static DateTimeOffset? At(long? ms) => ms is null ? null : DateTimeOffset.FromUnixTimeMilliseconds(ms.Value);
}

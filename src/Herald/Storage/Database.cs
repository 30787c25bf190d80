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

    /// <summary>The key of the PostgreSQL advisory lock held while migrating ("HeraldMg" in ASCII). Advisory locks are
    /// per database, so Herald databases on one server do not wait for each other.</summary>
    internal const long MigrationLockKey = 0x4865_7261_6C64_4D67;

    /// <summary>
    /// Brings the schema up to date (embedded scripts under Storage/Migrations, in name order), holding a lock for the
    /// whole run: DbUp reads the applied scripts from <c>schemaversions</c> and then applies the missing ones without
    /// any lock of its own, so two processes starting together would both see a script as missing and both run it
    /// (the second failing on "already exists", or worse, applying a data change twice). With the lock the second
    /// waits, then finds nothing left to do.
    /// </summary>
    public void Migrate(Action<string>? log = null)
    {
        using var held = Provider == DatabaseProvider.Postgres ? LockPostgres(log) : LockSqlite(log);
        MigrateLocked(log);
    }

    /// <summary>
    /// A session-level <c>pg_advisory_lock</c> on a connection of its own, kept until disposed. Unpooled: closing the
    /// connection ends the session, which releases the lock even if the unlock was never sent (a pooled connection kept
    /// open with NoResetOnClose would carry the lock into its next use). A process that dies while migrating loses its
    /// session and with it the lock, so nothing is left behind to clean up.
    /// </summary>
    private IDisposable LockPostgres(Action<string>? log)
    {
        var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString);
        try
        {
            c.Open();
            using var tryLock = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", c);
            tryLock.Parameters.AddWithValue("key", MigrationLockKey);
            if (tryLock.ExecuteScalar() is not true)
            {
                log?.Invoke("another process is migrating the database; waiting for it");
                // No statement timeout: the other process either finishes or dies, and either ends its lock.
                using var wait = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", c) { CommandTimeout = 0 };
                wait.Parameters.AddWithValue("key", MigrationLockKey);
                wait.ExecuteNonQuery();
            }
            return new Held(() =>
            {
                try
                {
                    using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", c);
                    unlock.Parameters.AddWithValue("key", MigrationLockKey);
                    unlock.ExecuteNonQuery();
                }
                finally { c.Dispose(); }
            });
        }
        catch
        {
            c.Dispose();
            throw;
        }
    }

    /// <summary>
    /// An exclusive lock on a file beside the database (<c>herald.db.migration-lock</c>), held while migrating. Not a
    /// SQLite lock: DbUp writes on connections of its own, and a <c>BEGIN EXCLUSIVE</c> held on another connection would
    /// make those writes wait for a lock that is released only after they finish. .NET takes <c>FileShare.None</c> as an
    /// flock on Unix, which excludes other processes and other opens in this process alike, and the kernel drops it when
    /// the process dies. The file is left in place (removing it would race with a process about to lock it). An
    /// in-memory database has no file and no second process to race with.
    /// </summary>
    private IDisposable LockSqlite(Action<string>? log)
    {
        var b = new SqliteConnectionStringBuilder(ConnectionString);
        if (b.Mode == SqliteOpenMode.Memory || string.IsNullOrEmpty(b.DataSource) || b.DataSource == ":memory:") return new Held(() => { });
        var path = Path.GetFullPath(b.DataSource) + ".migration-lock";
        // A missing folder (a data volume not mounted): no lock to take, and SQLite then fails to open the database
        // with its own error, which callers report as the database being unavailable.
        if (!Directory.Exists(Path.GetDirectoryName(path))) return new Held(() => { });
        var waited = false;
        while (true)
        {
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (File.Exists(path))
            {
                // Held by another process (or another Database in this one): its migration ends in seconds.
                if (!waited) log?.Invoke($"another process is migrating the database (lock {path}); waiting for it");
                waited = true;
                Thread.Sleep(100);
            }
        }
    }

    private sealed class Held(Action release) : IDisposable
    {
        public void Dispose() => release();
    }

    private void MigrateLocked(Action<string>? log)
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

using Npgsql;

namespace Herald.Tests.Servers;

/// <summary>
/// A private PostgreSQL cluster for the test run: initdb into a temp dir, postmaster on
/// 127.0.0.1 and a random port, password (SCRAM) auth, stopped and deleted at process exit.
/// Started once per run; each test takes its own database with <see cref="CreateDatabaseAsync"/>.
/// </summary>
public sealed class PostgresServer
{
    // Root cannot run postgres (docs/test-servers.md): the cluster belongs to the package's
    // "postgres" user when the tests run as root.
    private const string OsUser = "postgres";
    private const string SuperUser = "postgres";
    private static readonly Lazy<Task<PostgresServer>> SharedInstance = new(StartAsync);
    private static int databaseCounter;

    /// <summary>The run's shared cluster, started on first use. Faults (failing the test) if it cannot start.</summary>
    public static Task<PostgresServer> Shared => SharedInstance.Value;

    public int Port { get; }
    public string Password { get; }
    public string Directory { get; }

    /// <summary>Superuser connection to the maintenance database "postgres" (use per-test databases for data).</summary>
    public string ConnectionString { get; }

    private PostgresServer(int port, string password, string directory)
    {
        (Port, Password, Directory) = (port, password, directory);
        ConnectionString = ConnectionStringFor("postgres");
    }

    public string ConnectionStringFor(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1", Port = Port, Username = SuperUser, Password = Password, Database = database,
    }.ConnectionString;

    /// <summary>Creates a fresh empty database with a unique name and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        string name = $"herald_test_{Interlocked.Increment(ref databaseCounter)}_{Guid.NewGuid():N}"[..40];
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await create.ExecuteNonQueryAsync();
        return ConnectionStringFor(name);
    }

    private static async Task<PostgresServer> StartAsync()
    {
        string bin = FindBinDir();
        string dir = ServerHelpers.CreateTempDir("postgres");
        string data = Path.Combine(dir, "data"), log = Path.Combine(dir, "postgres.log");
        string pgCtl = Path.Combine(bin, "pg_ctl");
        var (stopFile, stopArgs) = ServerHelpers.AsUser(OsUser, pgCtl, ["-D", data, "-m", "immediate", "-w", "stop"]);
        ServerHelpers.OnExit("postgres",
            $"[ -f {data}/postmaster.pid ] && {ServerHelpers.Describe(stopFile, stopArgs)}; rm -rf {ServerHelpers.Sh(dir)}");
        if (ServerHelpers.IsRoot) await ServerHelpers.RunAsync("chown", ["-R", $"{OsUser}:", dir]);

        string password = Guid.NewGuid().ToString("N");
        string pwFile = Path.Combine(dir, "pwfile");
        await File.WriteAllTextAsync(pwFile, password + "\n");
        if (ServerHelpers.IsRoot) await ServerHelpers.RunAsync("chown", [$"{OsUser}:", pwFile]);
        await ServerHelpers.RunAsync(Path.Combine(bin, "initdb"),
            ["-D", data, "-U", SuperUser, "--pwfile", pwFile, "--auth-local=scram-sha-256", "--auth-host=scram-sha-256",
             "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], OsUser);

        // A port picked as free can be taken by someone else before postgres binds it: retry with another.
        for (int attempt = 1; ; attempt++)
        {
            int port = ServerHelpers.FreePort();
            // fsync off: a throwaway cluster (docs/test-servers.md); the unix socket goes in our
            // own dir, never /var/run/postgresql, so the system instance is never touched.
            string options = $"-p {port} -k {dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off " +
                             "-c full_page_writes=off -c max_connections=300";
            string[] args = ["-D", data, "-l", log, "-w", "-t", "60", "-o", options, "start"];
            try
            {
                await ServerHelpers.RunAsync(pgCtl, args, OsUser);
            }
            catch (ServerStartException) when (attempt < 3 && ServerHelpers.Tail(log).Contains("could not bind"))
            {
                continue;
            }
            catch (ServerStartException e)
            {
                throw new ServerStartException($"PostgreSQL did not start.\n{e.Message}\nLog {log}:\n{ServerHelpers.Tail(log)}", e);
            }
            var server = new PostgresServer(port, password, dir);
            await using var connection = new NpgsqlConnection(server.ConnectionString);
            await connection.OpenAsync();
            return server;
        }
    }

    /// <summary>The newest /usr/lib/postgresql/N/bin holding initdb (the version differs between Debian releases).</summary>
    private static string FindBinDir()
    {
        const string root = "/usr/lib/postgresql";
        var bin = System.IO.Directory.Exists(root)
            ? System.IO.Directory.GetDirectories(root)
                .Select(d => (Dir: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), out int v) ? v : -1))
                .Where(x => File.Exists(Path.Combine(x.Dir, "initdb")))
                .OrderByDescending(x => x.Version)
                .Select(x => x.Dir)
                .FirstOrDefault()
            : null;
        return bin ?? throw new ServerStartException(
            $"PostgreSQL: no {root}/<version>/bin/initdb found; install the Debian package 'postgresql' (test.sh does when run as root).");
    }
}

using Dapper;
using Herald.Storage;
using Herald.Tests.Servers;
using Npgsql;

namespace Herald.Tests.Storage;

/// <summary>
/// Several Herald processes starting together on one fresh database each run the migrations (docs/operations.md):
/// the lock taken around DbUp lets one apply them and the others find nothing to do. Each migrator has its own
/// <see cref="Database"/>, as separate processes would, and they start from a barrier so that they really overlap.
/// </summary>
public class ConcurrentMigrationTests
{
    private const int Migrators = 4, Rounds = 5;

    /// <summary>The migration scripts Herald carries (DbUp records each by its resource name).</summary>
    private static readonly string[] Scripts = typeof(Database).Assembly.GetManifestResourceNames()
        .Where(n => n.Contains(".Storage.Migrations.")).Order(StringComparer.Ordinal).ToArray();

    /// <summary>Runs <see cref="Migrators"/> migrations of <paramref name="database"/> at once; returns their failures.</summary>
    private static List<Exception> MigrateTogether(Func<Database> database)
    {
        var failures = new List<Exception>();
        using var start = new Barrier(Migrators);
        var threads = Enumerable.Range(0, Migrators).Select(_ => new Thread(() =>
        {
            var db = database();
            start.SignalAndWait();
            try { db.Migrate(); }
            catch (Exception e) { lock (failures) failures.Add(e); }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        return failures;
    }

    private static void AssertAppliedOnce(Database db, List<Exception> failures, int round)
    {
        Assert.True(failures.Count == 0, $"round {round}: {failures.Count} migrators failed:\n{string.Join("\n", failures)}");
        using var c = db.Open();
        var applied = c.Query<string>("SELECT scriptname FROM schemaversions").Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(Scripts, applied);
    }

    [Fact]
    public async Task Migrators_starting_together_on_one_fresh_PostgreSQL_database_all_succeed_and_apply_each_script_once()
    {
        Assert.NotEmpty(Scripts);
        var server = await PostgresServer.Shared;
        for (var round = 1; round <= Rounds; round++)
        {
            var cs = await server.CreateDatabaseAsync();
            try
            {
                var failures = MigrateTogether(() => new Database(DatabaseProvider.Postgres, cs));

                AssertAppliedOnce(new Database(DatabaseProvider.Postgres, cs), failures, round);
            }
            finally
            {
                // The migrators' idle pooled connections would otherwise stay open for minutes, and the run's cluster
                // shares max_connections among all tests.
                using var pooled = new NpgsqlConnection(cs);
                NpgsqlConnection.ClearPool(pooled);
            }
        }
    }

    [Fact]
    public void Migrators_starting_together_on_one_fresh_SQLite_file_all_succeed_and_apply_each_script_once()
    {
        Assert.NotEmpty(Scripts);
        for (var round = 1; round <= Rounds; round++)
        {
            var dir = Directory.CreateTempSubdirectory("herald-test-migrate-").FullName;
            try
            {
                var options = new DatabaseOptions { Provider = "sqlite" };

                var failures = MigrateTogether(() => Database.FromOptions(options, dir));

                AssertAppliedOnce(Database.FromOptions(options, dir), failures, round);
            }
            finally
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                Directory.Delete(dir, true);
            }
        }
    }
}

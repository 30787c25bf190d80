using Npgsql;

namespace Herald.Tests.Servers;

public class PostgresServerTests
{
    [Fact]
    public async Task A_row_written_to_a_fresh_database_reads_back()
    {
        var server = await PostgresServer.Shared;
        string connectionString = await server.CreateDatabaseAsync();

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using (var create = new NpgsqlCommand("CREATE TABLE note (id int PRIMARY KEY, body text NOT NULL)", connection))
            await create.ExecuteNonQueryAsync();
        await using (var insert = new NpgsqlCommand("INSERT INTO note VALUES (1, 'Snow day: school closed')", connection))
            await insert.ExecuteNonQueryAsync();
        await using var select = new NpgsqlCommand("SELECT body FROM note WHERE id = 1", connection);

        Assert.Equal("Snow day: school closed", await select.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Each_created_database_is_empty_and_separate()
    {
        var server = await PostgresServer.Shared;
        string first = await server.CreateDatabaseAsync(), second = await server.CreateDatabaseAsync();
        await using (var connection = new NpgsqlConnection(first))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand("CREATE TABLE only_in_first (id int)", connection);
            await create.ExecuteNonQueryAsync();
        }

        await using var other = new NpgsqlConnection(second);
        await other.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", other);

        Assert.NotEqual(new NpgsqlConnectionStringBuilder(first).Database, new NpgsqlConnectionStringBuilder(second).Database);
        Assert.Equal(0L, await count.ExecuteScalarAsync());
    }

    [Fact]
    public async Task The_server_listens_only_on_loopback_from_its_own_directory()
    {
        var server = await PostgresServer.Shared;
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();

        async Task<string> Setting(string name)
        {
            await using var show = new NpgsqlCommand($"SHOW {name}", connection);
            return (string)(await show.ExecuteScalarAsync())!;
        }

        Assert.Equal("127.0.0.1", await Setting("listen_addresses"));
        Assert.Equal(server.Port.ToString(), await Setting("port"));
        Assert.StartsWith(server.Directory, await Setting("data_directory"));
    }
}

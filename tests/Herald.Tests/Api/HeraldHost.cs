using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Herald.Hosting;
using Herald.Schools;
using Herald.Tests.Servers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Tests.Api;

/// <summary>
/// Herald running in-process on a free port of 127.0.0.1 with its own data folder and its own database
/// (a SQLite file in that folder, or a fresh PostgreSQL database), one school with a school key, and an operator key.
/// </summary>
public sealed class HeraldHost : IAsyncDisposable
{
    /// <summary>The providers every storage test runs against.</summary>
    public static TheoryData<string> Providers => new() { "sqlite", "postgres" };

    /// <summary>How long a test waits for the background dispatcher before failing.</summary>
    public static readonly TimeSpan DispatchTimeout = TimeSpan.FromSeconds(60);

    public static readonly JsonSerializerOptions Json = CreateJson();

    private static JsonSerializerOptions CreateJson()
    {
        var o = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        Herald.Http.HttpJson.Configure(o);
        o.UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Skip;
        return o;
    }

    private readonly List<HttpClient> _clients = [];

    private HeraldHost(WebApplication app, HeraldStorage storage, string provider, Uri baseAddress, FakeTimeProvider? time)
    {
        (App, Storage, Provider, BaseAddress, Time) = (app, storage, provider, baseAddress, time);
    }

    /// <summary>The data folder and database this host uses (and deletes when disposed).</summary>
    public HeraldStorage Storage { get; }

    public WebApplication App { get; }
    public string DataDirectory => Storage.DataDirectory;
    public string Provider { get; }
    public Uri BaseAddress { get; }
    public FakeTimeProvider? Time { get; }
    public School School { get; private set; } = null!;
    public string SchoolKey { get; private set; } = "";
    public string OperatorKey { get; private set; } = "";

    /// <summary>Calls with the school's key.</summary>
    public HttpClient Client { get; private set; } = null!;

    /// <summary>Calls with the operator key.</summary>
    public HttpClient Operator { get; private set; } = null!;

    public string SandboxEmailFolder => Path.Combine(DataDirectory, "sandbox", "email");

    public static async Task<HeraldHost> StartAsync(string provider, FakeTimeProvider? time = null, bool dispatcher = true,
        IDictionary<string, string?>? settings = null, HeraldStorage? storage = null)
    {
        storage ??= await HeraldStorage.CreateAsync(provider);
        var config = new Dictionary<string, string?>(storage.Settings)
        {
            ["Herald:Urls"] = "http://127.0.0.1:0",
            ["Herald:Dispatch:Enabled"] = dispatcher ? "true" : "false",
            ["Herald:Dispatch:PollInterval"] = "00:00:00.050",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>()) config[k] = v;
        WebApplication app;
        try
        {
            app = HeraldApp.Build([], b => b.AddInMemoryCollection(config), time);
            await app.StartAsync();
        }
        catch
        {
            storage.Dispose();
            throw;
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? app.Urls.FirstOrDefault()
            ?? throw new InvalidOperationException("Herald started but reports no bound address");
        var host = new HeraldHost(app, storage, provider, new Uri(address.TrimEnd('/') + "/"), time);
        var schools = app.Services.GetRequiredService<SchoolStore>();
        host.School = host.AddSchool("school-" + Guid.NewGuid().ToString("N")[..8]);
        host.SchoolKey = schools.CreateKey(host.School.Id, "test", false);
        host.OperatorKey = schools.CreateKey(null, "support", true);
        host.Client = host.CreateClient(host.SchoolKey);
        host.Operator = host.CreateClient(host.OperatorKey);
        return host;
    }

    /// <summary>Adds a school (with a white-labelled sender).</summary>
    public School AddSchool(string slug) =>
        App.Services.GetRequiredService<SchoolStore>().Add(slug, $"School {slug}", $"office@{slug}.example", "The Office", null, "GB");

    /// <summary>A client sending <paramref name="key"/> as bearer token (none when null).</summary>
    public HttpClient CreateClient(string? key)
    {
        var c = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (key is not null) c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        _clients.Add(c);
        return c;
    }

    /// <summary>A second school with its own key.</summary>
    public (School School, HttpClient Client) AddSchoolWithKey(string slug)
    {
        var school = AddSchool(slug);
        var key = App.Services.GetRequiredService<SchoolStore>().CreateKey(school.Id, "test", false);
        return (school, CreateClient(key));
    }

    public T Service<T>() where T : notnull => App.Services.GetRequiredService<T>();

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _clients) c.Dispose();
        try { await App.StopAsync(); } finally { await App.DisposeAsync(); }
        Storage.Dispose();
    }
}

/// <summary>A temp data folder and a database of its own: a SQLite file in the folder, or a fresh PostgreSQL database.</summary>
public sealed record HeraldStorage(string Provider, string DataDirectory, string ConnectionString) : IDisposable
{
    public static async Task<HeraldStorage> CreateAsync(string provider)
    {
        var cs = provider switch
        {
            "sqlite" => "",
            "postgres" => await (await PostgresServer.Shared).CreateDatabaseAsync(),
            _ => throw new ArgumentException($"unknown provider '{provider}'"),
        };
        return new HeraldStorage(provider, Directory.CreateTempSubdirectory("herald-test-data-").FullName, cs);
    }

    /// <summary>The settings that point Herald (web host or CLI) at this storage.</summary>
    public IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Herald:DataDirectory"] = DataDirectory,
        ["Herald:Database:Provider"] = Provider,
        ["Herald:Database:ConnectionString"] = ConnectionString,
    };

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        // Idle pooled connections to a finished test's database would stay open for Npgsql's idle lifetime (5 minutes),
        // and every test of the run shares the cluster's max_connections. In-use connections of other tests are only
        // closed when they are returned.
        if (Provider == "postgres") Npgsql.NpgsqlConnection.ClearAllPools();
        try { Directory.Delete(DataDirectory, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

using System.Net;
using Herald.Hosting;
using Herald.Tests.Api;
using Herald.Tests.Servers;
using Microsoft.Extensions.Configuration;

namespace Herald.Tests.Http;

/// <summary>Operations endpoints: the public health says only healthy or degraded; the details, the metrics and the
/// API reference need an operator key, or a request on the management listener.</summary>
public class OperationsTests
{
    private static readonly string[] Protected = ["health/details", "metrics", "openapi/v1.json", "scalar/v1"];

    [Fact]
    public async Task The_public_health_says_only_whether_herald_is_healthy()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        var health = await h.CreateClient(null).GetAsync("health").ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("healthy", health.Str("status"));
        Assert.Equal(["status"], health.AsObject().Select(p => p.Key));
    }

    [Fact]
    public async Task Details_metrics_and_the_api_reference_need_an_operator_key()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        foreach (var path in Protected)
        {
            using (var r = await h.CreateClient(null).GetAsync(path)) Assert.True(r.StatusCode == HttpStatusCode.Unauthorized, $"{path} without a key: {(int)r.StatusCode}");
            using (var r = await h.Client.GetAsync(path)) Assert.True(r.StatusCode == HttpStatusCode.Forbidden, $"{path} with a school key: {(int)r.StatusCode}");
            using (var r = await h.Operator.GetAsync(path)) Assert.True(r.StatusCode == HttpStatusCode.OK, $"{path} with an operator key: {(int)r.StatusCode}");
        }
        Assert.Contains("herald_", await h.Operator.GetStringAsync("metrics"));
        Assert.Equal("sqlite", (await h.Operator.GetAsync("health/details").ExpectAsync(HttpStatusCode.OK)).Str("database"));
    }

    [Fact]
    public async Task The_management_listener_answers_operations_without_a_key_and_nothing_else()
    {
        var port = ServerHelpers.FreePort();
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false,
            settings: new Dictionary<string, string?> { ["Herald:ManagementUrls"] = $"http://127.0.0.1:{port}" });
        using var management = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        foreach (var path in Protected)
        {
            using var r = await management.GetAsync(path);
            Assert.True(r.StatusCode == HttpStatusCode.OK, $"{path} on the management listener: {(int)r.StatusCode}");
        }
        // The API itself still needs a key there, and the main listener still needs an operator key for operations.
        using (var r = await management.GetAsync("api/v1/contacts")) Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        using (var r = await h.CreateClient(null).GetAsync("metrics")) Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
    }

    [Theory]
    [InlineData("http://127.0.0.1", "needs an explicit port")]
    [InlineData("http://127.0.0.1:0", "needs an explicit port")]
    [InlineData("ftp://127.0.0.1:21", "is not an http")]
    [InlineData("http://127.0.0.1:5080", "also in Herald:Urls")]
    public void A_bad_management_url_stops_start_up_naming_the_setting(string url, string problem)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Herald:ManagementUrls"] = url }).Build();
        var e = Assert.Throws<InvalidOperationException>(() => HeraldApp.LoadOptions(config));
        Assert.Contains("Herald:ManagementUrls", e.Message);
        Assert.Contains(problem, e.Message);
    }
}

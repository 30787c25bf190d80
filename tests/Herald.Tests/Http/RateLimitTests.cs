using System.Net;
using Herald.Hosting;
using Herald.Tests.Api;
using Microsoft.Extensions.Configuration;

namespace Herald.Tests.Http;

/// <summary>Each API key has its own allowance; past it, a 429 that says when to come back.</summary>
public class RateLimitTests
{
    /// <summary>A bucket of 3 that refills only after an hour: the fourth call in the test is always over.</summary>
    private static readonly Dictionary<string, string?> Tight = new()
    {
        ["Herald:Api:RateLimit:Burst"] = "3",
        ["Herald:Api:RateLimit:Refill"] = "1",
        ["Herald:Api:RateLimit:RefillPeriod"] = "01:00:00",
    };

    [Fact]
    public async Task A_key_over_its_allowance_gets_429_with_retry_after()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false, settings: Tight);
        for (var i = 0; i < 3; i++) await h.Client.GetAsync("api/v1/contacts").ExpectAsync(HttpStatusCode.OK);
        using var r = await h.Client.GetAsync("api/v1/contacts");
        Assert.Equal(HttpStatusCode.TooManyRequests, r.StatusCode);
        Assert.True(r.Headers.RetryAfter?.Delta is { } wait && wait > TimeSpan.Zero, $"Retry-After: {r.Headers.RetryAfter}");
        Assert.Contains("too many requests", await r.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task One_key_over_its_allowance_does_not_stop_another()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false, settings: Tight);
        for (var i = 0; i < 4; i++) await h.Client.GetAsync("api/v1/contacts");
        await h.Operator.GetAsync($"api/v1/contacts?school={h.School.Id}").ExpectAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task The_default_allowance_lets_a_school_sync_hundreds_of_contacts_at_once()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        var calls = Enumerable.Range(0, 300).Select(_ => h.Client.GetAsync("api/v1/contacts?pageSize=1")).ToList();
        var answers = await Task.WhenAll(calls);
        Assert.All(answers, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
    }

    [Fact]
    public void A_bad_limit_stops_start_up_naming_the_setting()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Herald:Api:RateLimit:Burst"] = "0" }).Build();
        var e = Assert.Throws<InvalidOperationException>(() => HeraldApp.LoadOptions(config));
        Assert.Contains("Herald:Api:RateLimit:Burst", e.Message);
    }
}

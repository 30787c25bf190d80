using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Tests.Api;

/// <summary>
/// The /metrics gauge is process-wide (prometheus-net's default registry) and every host sets it at scrape time,
/// so these tests run alone, after the parallel ones.
/// </summary>
[CollectionDefinition(nameof(ProcessWideMetrics), DisableParallelization = true)]
public sealed class ProcessWideMetrics;

/// <summary>Operations notices deliveries stuck in the queue.</summary>
[Collection(nameof(ProcessWideMetrics))]
public class StuckQueueTests
{
    private static async Task<(HeraldHost H, long Contact, long Announcement)> QueuedAsync(string provider)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var h = await HeraldHost.StartAsync(provider, time, dispatcher: false);
        var c = await h.Client.AddContactAsync("ann@school.example");
        var a = await h.Client.SendToAsync([c]);
        return (h, c, a);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_delivery_queued_for_31_minutes_is_flagged_in_the_report(string provider)
    {
        var (h, c, a) = await QueuedAsync(provider);
        await using var _h = h;
        var fresh = await h.Client.ReportAsync(a);
        Assert.Equal(0, fresh["queuedTooLong"]!.GetValue<long>());
        Assert.False(fresh.LineOf(c)["queuedTooLong"]!.GetValue<bool>());
        h.Time!.Advance(TimeSpan.FromMinutes(31));
        var report = await h.Client.ReportAsync(a);
        Assert.Equal(1, report["queuedTooLong"]!.GetValue<long>());
        Assert.True(report.LineOf(c)["queuedTooLong"]!.GetValue<bool>());
        Assert.Contains("support", report.LineOf(c).Str("explanation") + report.LineOf(c).Str("action"));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Health_turns_degraded_when_a_delivery_is_queued_too_long(string provider)
    {
        var (h, _, _) = await QueuedAsync(provider);
        await using var _h = h;
        var anon = h.CreateClient(null);
        Assert.Equal("healthy", (await anon.GetAsync("health").ExpectAsync(HttpStatusCode.OK)).Str("status"));
        h.Time!.Advance(TimeSpan.FromMinutes(31));
        var health = await anon.GetAsync("health").ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("degraded", health.Str("status"));
        // The public answer says no more than that; the details are an operator's.
        Assert.Single(health.AsObject());
        health = await h.Operator.GetAsync("health/details").ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("degraded", health.Str("status"));
        Assert.Equal(1, health["queuedTooLong"]!.GetValue<long>());
        Assert.Equal(provider, health.Str("database"));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task The_metrics_show_deliveries_queued_too_long(string provider)
    {
        var (h, _, _) = await QueuedAsync(provider);
        await using var _h = h;
        Assert.Equal(0, await GaugeAsync(h.Operator));
        h.Time!.Advance(TimeSpan.FromMinutes(31));
        Assert.Equal(1, await GaugeAsync(h.Operator));
    }

    private static async Task<double> GaugeAsync(HttpClient c)
    {
        var text = await c.GetStringAsync("metrics");
        var m = Regex.Match(text, @"^herald_deliveries_queued_too_long (\S+)$", RegexOptions.Multiline);
        Assert.True(m.Success, "no herald_deliveries_queued_too_long in /metrics:\n" + text);
        return double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }
}

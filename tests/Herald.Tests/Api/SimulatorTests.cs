using System.Net;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Tests.Api;

/// <summary>The sandbox's mailbox simulator shows every kind of feedback without a relay.</summary>
public class SimulatorTests
{
    private static string Sim(string box) => $"{box}+{Guid.NewGuid():N}@simulator.herald.invalid";

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Hard_bounce_marks_address_failed_and_next_send_is_dropped(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider);
        var c = await h.Client.AddContactAsync(Sim("hard-bounce"));
        var first = await h.Client.SendToAsync([c]);
        var report = await h.Client.WaitForStatusAsync(first, c, "hard_bounce");
        Assert.Equal("userunknown", report.LineOf(c).Str("reason"));
        var second = await h.Client.SendToAsync([c]);
        Assert.Equal("dropped", (await h.Client.ReportAsync(second)).StatusOf(c));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_hard_bounced_address_is_dropped_even_for_an_essential_announcement(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider);
        var c = await h.Client.AddContactAsync(Sim("hard-bounce"));
        await h.Client.WaitForStatusAsync(await h.Client.SendToAsync([c]), c, "hard_bounce");
        var essential = await h.Client.SendToAsync([c], essential: true);
        Assert.Equal("dropped", (await h.Client.ReportAsync(essential)).StatusOf(c));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_complaint_marks_the_delivery_spam_and_suppresses_the_address(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider);
        var c = await h.Client.AddContactAsync(Sim("complaint"));
        await h.Client.WaitForStatusAsync(await h.Client.SendToAsync([c]), c, "spam");
        var next = await h.Client.SendToAsync([c], essential: true);
        Assert.Equal("dropped", (await h.Client.ReportAsync(next)).StatusOf(c));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task An_auto_reply_is_logged_and_the_delivery_stays_delivered(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider);
        var c = await h.Client.AddContactAsync(Sim("auto-reply"));
        var a = await h.Client.SendToAsync([c]);
        await h.Client.WaitForStatusAsync(a, c, "delivered");
        var log = await WaitForLogAsync(h, c, e => e.Str("detail")?.StartsWith("simulated auto-reply") == true);
        var autoReply = log.Entries().Single(e => e.Str("detail")?.StartsWith("simulated auto-reply") == true);
        Assert.Null(autoReply!["status"]);
        Assert.False(autoReply["changedStatus"]!.GetValue<bool>());
        var report = await h.Client.ReportAsync(a);
        Assert.Equal("delivered", report.StatusOf(c));
        Assert.Equal(1, report.Count("delivered"));
        Assert.Equal(0, report.Count("soft_bounce") + report.Count("hard_bounce"));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_soft_bounce_is_retried_on_schedule_until_it_goes_through(string provider)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await HeraldHost.StartAsync(provider, time);
        var c = await h.Client.AddContactAsync(Sim("soft-bounce"));
        var a = await h.Client.SendToAsync([c]);
        await h.Client.WaitForStatusAsync(a, c, "soft_bounce");
        // Greylisting retries within minutes: each poll moves the clock on so the next try falls due.
        await h.Client.WaitForStatusAsync(a, c, "delivered", () => { time.Advance(TimeSpan.FromMinutes(3)); return Task.CompletedTask; });
        var log = await h.Client.LogAsync(c);
        var sources = log.Entries().Select(e => (e.Str("status"), e.Str("source"))).ToList();
        Assert.Equal(2, sources.Count(s => s == ("soft_bounce", "transport")));
        Assert.Contains(("sent", "transport"), sources);
        Assert.Contains("greylisting", log.Entries().First(e => e.Str("status") == "soft_bounce")!.Str("detail"));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_soft_bounce_is_not_retried_before_its_time(string provider)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await HeraldHost.StartAsync(provider, time);
        var c = await h.Client.AddContactAsync(Sim("soft-bounce"));
        var a = await h.Client.SendToAsync([c]);
        await h.Client.WaitForStatusAsync(a, c, "soft_bounce");
        // Wake the dispatcher with another send: the clock has not moved, so the soft bounce must stay as it is.
        var other = await h.Client.AddContactAsync("other@school.example");
        var b = await h.Client.SendToAsync([other]);
        await h.Client.WaitForStatusAsync(b, other, "sent");
        var log = await h.Client.LogAsync(c);
        Assert.Single(log.Entries(), e => e!.Str("status") == "soft_bounce");
        Assert.Equal("soft_bounce", (await h.Client.ReportAsync(a)).StatusOf(c));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_policy_rejection_is_rejected_with_the_providers_reason(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider);
        var c = await h.Client.AddContactAsync(Sim("reject"));
        var report = await h.Client.WaitForStatusAsync(await h.Client.SendToAsync([c]), c, "rejected");
        Assert.Equal("policyviolation", report.LineOf(c).Str("reason"));
    }

    internal static async Task<System.Text.Json.Nodes.JsonNode> WaitForLogAsync(HeraldHost h, long contact, Func<System.Text.Json.Nodes.JsonNode, bool> entry)
    {
        var deadline = DateTime.UtcNow + HeraldHost.DispatchTimeout;
        while (true)
        {
            var log = await h.Client.LogAsync(contact);
            if (log.Entries().Any(e => entry(e!))) return log;
            if (DateTime.UtcNow > deadline) throw new Xunit.Sdk.XunitException($"the log of contact {contact} never got the entry: {log.ToJsonString()}");
            await Task.Delay(50);
        }
    }
}

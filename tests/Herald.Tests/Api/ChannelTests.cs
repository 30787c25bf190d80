using System.Net;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Tests.Api;

/// <summary>Per-channel preferences, SMS failures and the end of the retry window.</summary>
public class ChannelTests
{
    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task An_sms_only_opt_out_holds_the_sms_and_not_the_email(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var c = await h.Client.AddContactAsync("ann@school.example", "07400 123456", optOuts: ["sms:trips"]);
        var a = await h.Client.SendToAsync([c], category: "trips", channels: ["email", "sms"]);
        var report = await h.Client.ReportAsync(a);
        Assert.Equal("queued", report.StatusOf(c, "email"));
        Assert.Equal("opted_out", report.StatusOf(c, "sms"));
        Assert.Equal(1, report.Count("opted_out", "sms"));
        Assert.Equal(Herald.Core.Deliveries.Wire.SmsStatuses.Count, report["counts"]!["sms"]!.AsObject().Count);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_failed_sms_marks_the_number_failed_and_the_next_sms_is_dropped(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var c = await h.Client.AddContactAsync(null, "07400 123456");
        var a = await h.Client.SendToAsync([c], channels: ["sms"]);
        var d = (await h.Client.ReportAsync(a)).LineOf(c, "sms")["deliveryId"]!.GetValue<long>();
        await h.Client.PostJson("api/v1/events", new { deliveryId = d, status = "failed", detail = "stat:UNDELIV err:034", reason = "034" })
            .ExpectAsync(HttpStatusCode.OK);
        Assert.Contains((await h.Client.LogAsync(c)).Entries(), e => e.Str("detail") == "stat:UNDELIV err:034");
        var next = await h.Client.SendToAsync([c], channels: ["sms"]);
        Assert.Equal("dropped", (await h.Client.ReportAsync(next)).StatusOf(c, "sms"));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Support_can_reset_a_failed_number_written_with_spaces(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var c = await h.Client.AddContactAsync(null, "07400 123456");
        var a = await h.Client.SendToAsync([c], channels: ["sms"]);
        var d = (await h.Client.ReportAsync(a)).LineOf(c, "sms")["deliveryId"]!.GetValue<long>();
        await h.Client.PostJson("api/v1/events", new { deliveryId = d, status = "failed" }).ExpectAsync(HttpStatusCode.OK);
        await h.Operator.PostJson("api/v1/addresses/reset", new { address = "+44 7400 123456", channel = "sms", by = "sam", why = "new SIM", school = h.School.Id })
            .ExpectAsync(HttpStatusCode.OK);
        var next = await h.Client.SendToAsync([c], channels: ["sms"]);
        Assert.Equal("queued", (await h.Client.ReportAsync(next)).StatusOf(c, "sms"));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_soft_bounce_past_the_retry_window_becomes_rejected_as_expired(string provider)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await HeraldHost.StartAsync(provider, time,
            settings: new Dictionary<string, string?> { ["Herald:Dispatch:RetryWindow"] = "00:01:00" });
        var c = await h.Client.AddContactAsync($"soft-bounce+{Guid.NewGuid():N}@simulator.herald.invalid");
        var report = await h.Client.WaitForStatusAsync(await h.Client.SendToAsync([c]), c, "rejected");
        Assert.Equal("expired", report.LineOf(c).Str("reason"));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task The_key_can_also_be_sent_as_x_api_key(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var client = h.CreateClient(null);
        client.DefaultRequestHeaders.Add("X-Api-Key", h.SchoolKey);
        await client.GetAsync("api/v1/contacts").ExpectAsync(HttpStatusCode.OK);
    }
}

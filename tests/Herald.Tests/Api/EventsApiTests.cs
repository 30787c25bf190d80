using System.Net;
using System.Text.Json.Nodes;

namespace Herald.Tests.Api;

/// <summary>Providers post feedback late, twice and out of order through the events API.</summary>
public class EventsApiTests
{
    private static async Task<(long Contact, long Announcement, long Delivery)> QueuedDeliveryAsync(HeraldHost h, string email = "ann@school.example")
    {
        var c = await h.Client.AddContactAsync(email);
        var a = await h.Client.SendToAsync([c]);
        var d = (await h.Client.ReportAsync(a)).LineOf(c)["deliveryId"]!.GetValue<long>();
        return (c, a, d);
    }

    private static Task<JsonNode> Post(HttpClient client, long delivery, string? status, string? providerEventId = null, DateTimeOffset? at = null,
        string? detail = null, HttpStatusCode expect = HttpStatusCode.OK) =>
        client.PostJson("api/v1/events", new { deliveryId = delivery, status, providerEventId, occurredAt = at, detail, reason = (string?)null })
            .ExpectAsync(expect);

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_late_delivered_after_opened_leaves_it_opened_and_both_are_logged(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var (c, a, d) = await QueuedDeliveryAsync(h);
        var t = DateTimeOffset.UtcNow;
        Assert.Equal("changed", (await Post(h.Client, d, "opened", "p-open", t)).Str("result"));
        var late = await Post(h.Client, d, "delivered", "p-delivered", t.AddSeconds(-30));
        Assert.Equal(("logged", "opened"), (late.Str("result"), late.Str("status")));
        var report = await h.Client.ReportAsync(a);
        Assert.Equal("opened", report.StatusOf(c));
        Assert.Equal((1, 0), (report.Count("opened"), report.Count("delivered")));
        var statuses = (await h.Client.LogAsync(c)).Entries().Select(e => e.Str("status")).ToList();
        Assert.Contains("opened", statuses);
        Assert.Contains("delivered", statuses);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_duplicate_provider_event_changes_nothing_and_is_not_counted_twice(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var (c, a, d) = await QueuedDeliveryAsync(h);
        await Post(h.Client, d, "delivered", "ses-123");
        var before = (await h.Client.LogAsync(c)).Entries().Count;
        var again = await Post(h.Client, d, "delivered", "ses-123");
        Assert.Equal("duplicate", again.Str("result"));
        var report = await h.Client.ReportAsync(a);
        Assert.Equal((1, 0), (report.Count("delivered"), report.Count("queued")));
        Assert.Equal(1, report["counts"]!["email"]!.AsObject().Sum(kv => kv.Value!.GetValue<long>()));
        Assert.Equal(before, (await h.Client.LogAsync(c)).Entries().Count);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_hard_bounce_event_marks_the_address_failed_for_later_sends(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var (c, a, d) = await QueuedDeliveryAsync(h);
        await Post(h.Client, d, "hard_bounce", "b-1");
        Assert.Equal("hard_bounce", (await h.Client.ReportAsync(a)).StatusOf(c));
        var next = await h.Client.SendToAsync([c]);
        Assert.Equal("dropped", (await h.Client.ReportAsync(next)).StatusOf(c));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_log_only_event_keeps_the_status_and_lands_in_the_log(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var (c, a, d) = await QueuedDeliveryAsync(h);
        var r = await Post(h.Client, d, null, detail: "provider note: throttled");
        Assert.Equal("logged", r.Str("result"));
        Assert.Equal("queued", (await h.Client.ReportAsync(a)).StatusOf(c));
        Assert.Contains((await h.Client.LogAsync(c)).Entries(), e => e.Str("detail") == "provider note: throttled");
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task An_event_with_an_unknown_status_is_refused_naming_the_field(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var (_, _, d) = await QueuedDeliveryAsync(h);
        var problem = await Post(h.Client, d, "bounced", expect: HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]!["status"]);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task An_event_for_a_delivery_that_does_not_exist_is_not_found(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        await Post(h.Client, 987654, "delivered", expect: HttpStatusCode.NotFound);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task An_event_cannot_claim_a_send_decision_like_dropped(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var (c, a, d) = await QueuedDeliveryAsync(h);
        var problem = await Post(h.Client, d, "dropped", expect: HttpStatusCode.BadRequest);
        Assert.Contains("decided by Herald", problem.Str("detail"));
        Assert.Equal("queued", (await h.Client.ReportAsync(a)).StatusOf(c));
    }
}

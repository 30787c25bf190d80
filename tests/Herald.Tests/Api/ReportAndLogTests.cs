using System.Net;
using Herald.Core.Deliveries;

namespace Herald.Tests.Api;

/// <summary>Staff read an announcement's report and a contact's full log.</summary>
public class ReportAndLogTests
{
    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task The_report_counts_every_email_status_including_zeros(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var missing = await h.Client.AddContactAsync(null);
        var queued1 = await h.Client.AddContactAsync("a@school.example");
        var queued2 = await h.Client.AddContactAsync("b@school.example");
        var report = await h.Client.ReportAsync(await h.Client.SendToAsync([missing, queued1, queued2]));
        var counts = report["counts"]!["email"]!.AsObject();
        Assert.Equal(Wire.EmailStatuses.Select(s => s.Name()).Order(), counts.Select(kv => kv.Key).Order());
        Assert.Equal(2, report.Count("queued"));
        Assert.Equal(1, report.Count("email_missing"));
        Assert.Equal(3, counts.Sum(kv => kv.Value!.GetValue<long>()));
        Assert.Null(report["counts"]!["sms"]);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task The_report_can_be_filtered_by_status(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var missing = await h.Client.AddContactAsync(null);
        var queued = await h.Client.AddContactAsync("a@school.example");
        var a = await h.Client.SendToAsync([missing, queued]);
        var report = await h.Client.ReportAsync(a, "?status=email_missing");
        var line = Assert.Single(report.Lines());
        Assert.Equal(missing, line!["contactId"]!.GetValue<long>());
        Assert.Equal(1, report["recipients"]!["total"]!.GetValue<long>());
        Assert.False(string.IsNullOrWhiteSpace(line.Str("explanation")));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task An_unknown_status_filter_is_refused_naming_the_parameter(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var a = await h.Client.SendToAsync([await h.Client.AddContactAsync("a@school.example")]);
        var problem = await h.Client.GetAsync($"api/v1/announcements/{a}/report?status=bounced").ExpectAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]!["status"]);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task The_report_lists_recipients_page_by_page(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var ids = new List<long>();
        for (var i = 0; i < 5; i++) ids.Add(await h.Client.AddContactAsync($"c{i}@school.example"));
        var a = await h.Client.SendToAsync([.. ids]);
        var seen = new List<long>();
        for (var page = 1; page <= 3; page++)
        {
            var r = await h.Client.ReportAsync(a, $"?page={page}&pageSize=2");
            Assert.Equal(5, r["recipients"]!["total"]!.GetValue<long>());
            Assert.True(r.Lines().Count <= 2);
            seen.AddRange(r.Lines().Select(l => l!["contactId"]!.GetValue<long>()));
        }
        Assert.Equal(ids.Order(), seen.Order());
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task The_full_log_lists_every_event_oldest_first_with_its_source(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider);
        var c = await h.Client.AddContactAsync($"clicks+{Guid.NewGuid():N}@simulator.herald.invalid");
        await h.Client.WaitForStatusAsync(await h.Client.SendToAsync([c]), c, "clicked");
        var entries = (await h.Client.LogAsync(c)).Entries();
        Assert.Equal(
            [("queued", "decision"), ("sent", "transport"), ("delivered", "simulator"), ("opened", "simulator"), ("clicked", "simulator")],
            entries.Select(e => (e.Str("status"), e.Str("source"))));
        var times = entries.Select(e => e!["at"]!.GetValue<DateTimeOffset>()).ToList();
        Assert.Equal(times.Order(), times);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task The_log_spans_announcements(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var c = await h.Client.AddContactAsync("a@school.example");
        var first = await h.Client.SendToAsync([c]);
        var second = await h.Client.SendToAsync([c]);
        var entries = (await h.Client.LogAsync(c)).Entries();
        Assert.Equal([first, second], entries.Select(e => e!["announcementId"]!.GetValue<long>()));
    }
}

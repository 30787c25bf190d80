using System.Net;

namespace Herald.Tests.Api;

/// <summary>Staff send an announcement; each recipient gets a decision, the rest goes through the sandbox.</summary>
public class SendingTests
{
    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Each_recipient_gets_the_decision_of_their_profile(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var missing = await h.Client.AddContactAsync(null);
        var malformed = await h.Client.AddContactAsync("ann@localhost");
        var optedOut = await h.Client.AddContactAsync("oo@school.example", optOuts: ["trips"]);
        var digest = await h.Client.AddContactAsync("dg@school.example", digest: true);
        var plain = await h.Client.AddContactAsync("plain@school.example");
        var a = await h.Client.AddAnnouncementAsync([missing, malformed, optedOut, digest, plain], category: "trips");
        var summary = await h.Client.SendAsync(a);
        Assert.Equal(5, summary["recipients"]!.GetValue<int>());
        var report = await h.Client.ReportAsync(a);
        Assert.Equal("email_missing", report.StatusOf(missing));
        Assert.Equal("email_missing", report.StatusOf(malformed));
        Assert.Equal("opted_out", report.StatusOf(optedOut));
        Assert.Equal("pending_digest", report.StatusOf(digest));
        Assert.Equal("queued", report.StatusOf(plain));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task An_essential_announcement_reaches_opted_out_and_digest_contacts(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var optedOut = await h.Client.AddContactAsync("oo@school.example", optOuts: ["trips"]);
        var digest = await h.Client.AddContactAsync("dg@school.example", digest: true);
        var a = await h.Client.SendToAsync([optedOut, digest], essential: true, category: "trips");
        var report = await h.Client.ReportAsync(a);
        Assert.Equal("queued", report.StatusOf(optedOut));
        Assert.Equal("queued", report.StatusOf(digest));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task An_opt_out_of_another_category_does_not_hold_the_announcement(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var c = await h.Client.AddContactAsync("oo@school.example", optOuts: ["trips"]);
        var a = await h.Client.SendToAsync([c], category: "general");
        Assert.Equal("queued", (await h.Client.ReportAsync(a)).StatusOf(c));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_queued_email_is_sent_through_the_sandbox_as_an_eml_file(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider);
        var c = await h.Client.AddContactAsync("ann@school.example");
        var a = await h.Client.SendToAsync([c]);
        var report = await h.Client.WaitForStatusAsync(a, c, "sent");
        var deliveryId = report.LineOf(c)["deliveryId"]!.GetValue<long>();
        var eml = Path.Combine(h.SandboxEmailFolder, $"{deliveryId}-1-1.eml");
        Assert.True(File.Exists(eml), $"no {eml}; the folder has: {string.Join(", ", Directory.GetFiles(h.SandboxEmailFolder).Select(Path.GetFileName))}");
        var message = await MimeKit.MimeMessage.LoadAsync(eml);
        Assert.Equal("ann@school.example", message.To.Mailboxes.Single().Address);
        Assert.Equal("Sports day", message.Subject);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task An_sms_announcement_goes_to_the_sandbox_sms_file(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider);
        var c = await h.Client.AddContactAsync(null, "07400 123456");
        var a = await h.Client.SendToAsync([c], channels: ["sms"]);
        await h.Client.WaitForReportAsync(a, r => r.StatusOf(c, "sms") == "sent", "the SMS to be sent");
        var lines = await File.ReadAllLinesAsync(Path.Combine(h.DataDirectory, "sandbox", "sms.jsonl"));
        Assert.Contains(lines, l => System.Text.Json.Nodes.JsonNode.Parse(l)!.Str("to") == "+447400123456");
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task An_announcement_to_a_group_reaches_only_its_members(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var member = await h.Client.AddContactAsync("m@school.example", groups: ["year-7"]);
        var other = await h.Client.AddContactAsync("o@school.example", groups: ["year-8"]);
        var a = await h.Client.PostJson("api/v1/announcements", new
        {
            subject = "Year 7 trip", text = "x", channels = new[] { "email" }, category = "trips", audience = new { groups = new[] { "year-7" } },
        }).ExpectAsync(HttpStatusCode.Created);
        var id = a["id"]!.GetValue<long>();
        await h.Client.SendAsync(id);
        var report = await h.Client.ReportAsync(id);
        Assert.Equal([member], report.Lines().Select(l => l!["contactId"]!.GetValue<long>()));
        Assert.NotEqual(member, other);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task An_announcement_to_all_reaches_every_contact_of_the_school_only(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var ids = new[] { await h.Client.AddContactAsync("a@school.example"), await h.Client.AddContactAsync("b@school.example") };
        var (_, other) = h.AddSchoolWithKey("other-" + Guid.NewGuid().ToString("N")[..8]);
        await other.AddContactAsync("stranger@school.example");
        var a = await h.Client.PostJson("api/v1/announcements", new
        {
            subject = "All", text = "x", channels = new[] { "email" }, category = "general", audience = new { all = true },
        }).ExpectAsync(HttpStatusCode.Created);
        var id = a["id"]!.GetValue<long>();
        await h.Client.SendAsync(id);
        Assert.Equal(ids, (await h.Client.ReportAsync(id)).Lines().Select(l => l!["contactId"]!.GetValue<long>()).Order());
    }
}

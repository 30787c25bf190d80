using System.Net;
using System.Text.Json.Nodes;
using Herald.Sandbox;
using Herald.Tests.Api;

namespace Herald.Tests.Fallback;

/// <summary>Essential messages reach every family that can be reached: an essential announcement that cannot reach a
/// contact on one channel goes out on the other (delivery-model.md, "Fallback").</summary>
public class FallbackTests
{
    private static async Task<long> EssentialAsync(HttpClient client, long[] contacts, string[] channels, string text = "School is closed today.",
        string? smsText = null, bool essential = true)
    {
        var body = await client.PostJson("api/v1/announcements", new
        {
            subject = "Closure", text, smsText, channels, category = "general", essential, audience = new { contactIds = contacts },
        }).ExpectAsync(HttpStatusCode.Created);
        return body["id"]!.GetValue<long>();
    }

    private static long DeliveryOf(JsonNode report, long contact, string channel) => report.LineOf(contact, channel)["deliveryId"]!.GetValue<long>();

    private static Task<JsonNode> PostEvent(HttpClient client, long delivery, string status, string detail) =>
        client.PostJson("api/v1/events", new { deliveryId = delivery, status, detail }).ExpectAsync(HttpStatusCode.OK);

    private static IEnumerable<JsonNode> LinesOf(JsonNode report, long contact, string channel) =>
        report.Lines().Where(l => l!["contactId"]!.GetValue<long>() == contact && l["channel"]!.GetValue<string>() == channel)!;

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task An_essential_email_to_a_contact_without_an_email_address_reaches_them_by_sms(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider);
        var c = await h.Client.AddContactAsync(null, "07400 123456");
        var a = await EssentialAsync(h.Client, [c], ["email"]);
        await h.Client.SendAsync(a);
        var report = await h.Client.WaitForReportAsync(a, r => r.StatusOf(c, "sms") == "sent", "the SMS fallback to be sent");
        var sms = report.LineOf(c, "sms");
        Assert.True(sms["fallback"]!.GetValue<bool>());
        Assert.Equal(DeliveryOf(report, c, "email"), sms["fallbackFor"]!.GetValue<long>());
        Assert.Equal("email_missing", report.StatusOf(c, "email"));
        var sent = File.ReadAllLines(h.Service<SandboxTransport>().SmsFile).Select(l => JsonNode.Parse(l)!)
            .Single(l => l["deliveryId"]!.GetValue<long>() == sms["deliveryId"]!.GetValue<long>());
        Assert.Equal(("+447400123456", "School is closed today."), (sent.Str("to"), sent.Str("text")));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_resend_after_the_school_adds_a_mobile_reaches_a_contact_without_email_by_sms(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider);
        var external = "nomail-" + Guid.NewGuid().ToString("N")[..8];
        var c = (await h.Client.PostJson("api/v1/contacts", new { externalId = external, role = "guardian", name = "Nia" })
            .ExpectAsync(HttpStatusCode.Created))["contact"]!["id"]!.GetValue<long>();
        var a = await EssentialAsync(h.Client, [c], ["email"]);
        await h.Client.SendAsync(a);
        var first = await h.Client.ReportAsync(a);
        Assert.Equal("email_missing", first.StatusOf(c));
        Assert.Empty(LinesOf(first, c, "sms"));

        // The office finds a mobile number and resends to those without email: the email still cannot start, and this
        // time there is a channel to fall back to.
        await h.Client.PutAsync($"api/v1/contacts/{c}", System.Net.Http.Json.JsonContent.Create(new { externalId = external, role = "guardian", name = "Nia", mobile = "07400 123456" }))
            .ExpectAsync(HttpStatusCode.OK);
        await h.Client.PostJson($"api/v1/announcements/{a}/resend", new { statuses = new[] { "email_missing" }, by = "office" }).ExpectAsync(HttpStatusCode.OK);

        var report = await h.Client.WaitForReportAsync(a, r => LinesOf(r, c, "sms").Any(l => l.Str("status") == "sent"), "the SMS fallback of the resend to be sent");
        var sms = report.LineOf(c, "sms");
        Assert.Equal(DeliveryOf(report, c, "email"), sms["fallbackFor"]!.GetValue<long>());
        Assert.Equal(2, report.LineOf(c)["attempt"]!.GetValue<int>());
        Assert.Contains((await h.Client.LogAsync(c)).Entries(), e => e.Str("detail")?.StartsWith("fallback: email email_missing", StringComparison.Ordinal) == true);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_hard_bounce_posted_twice_queues_one_sms_fallback(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var c = await h.Client.AddContactAsync("ann@school.example", "07400 123456");
        var a = await EssentialAsync(h.Client, [c], ["email"]);
        await h.Client.SendAsync(a);
        var email = DeliveryOf(await h.Client.ReportAsync(a), c, "email");
        await PostEvent(h.Operator, email, "hard_bounce", "550 5.1.1 <ann@school.example>: no such user");
        await PostEvent(h.Operator, email, "hard_bounce", "550 5.1.1 <ann@school.example>: no such user");
        var report = await h.Client.ReportAsync(a);
        Assert.Equal(1, report.Count("queued", "sms"));
        Assert.Equal(email, Assert.Single(LinesOf(report, c, "sms"))["fallbackFor"]!.GetValue<long>());
        Assert.Single((await h.Client.LogAsync(c)).Entries(), e => e.Str("detail") == "fallback: email hard_bounce (550 5.1.1 <ann@school.example>: no such user)");
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_rejection_and_a_hard_bounce_posted_at_once_queue_one_sms_fallback(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var c = await h.Client.AddContactAsync("ann@school.example", "07400 123456");
        var a = await EssentialAsync(h.Client, [c], ["email"]);
        await h.Client.SendAsync(a);
        var email = DeliveryOf(await h.Client.ReportAsync(a), c, "email");
        await Task.WhenAll(PostEvent(h.Operator, email, "rejected", "554 5.7.1 refused by policy"),
            PostEvent(h.Client, email, "hard_bounce", "550 5.1.1 no such user"));
        var report = await h.Client.ReportAsync(a);
        Assert.Equal("hard_bounce", report.StatusOf(c));
        Assert.Equal(1, report.Count("queued", "sms"));
        Assert.Single(LinesOf(report, c, "sms"));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_bounce_reported_after_the_send_falls_back_to_an_sms_that_is_sent(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider);
        var c = await h.Client.AddContactAsync($"hard-bounce@{SandboxTransport.SimulatorDomain}", "07400 123457");
        var a = await EssentialAsync(h.Client, [c], ["email"]);
        await h.Client.SendAsync(a);
        var report = await h.Client.WaitForReportAsync(a, r => r.Lines().Any(l => l.Str("channel") == "sms" && l.Str("status") == "sent"),
            "the SMS fallback of the bounced email to be sent");
        Assert.Equal("hard_bounce", report.StatusOf(c, "email"));
        Assert.True(report.LineOf(c, "sms")["fallback"]!.GetValue<bool>());
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_failed_sms_of_an_essential_announcement_falls_back_to_an_email_that_is_sent(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider);
        var c = await h.Client.AddContactAsync("ann@school.example", "07400 123456");
        var a = await EssentialAsync(h.Client, [c], ["sms"]);
        await h.Client.SendAsync(a);
        var sent = await h.Client.WaitForReportAsync(a, r => r.StatusOf(c, "sms") == "sent", "the SMS to be sent");
        var sms = DeliveryOf(sent, c, "sms");
        await PostEvent(h.Operator, sms, "failed", "stat:UNDELIV err:001");
        var report = await h.Client.WaitForReportAsync(a, r => r.Lines().Any(l => l.Str("channel") == "email" && l.Str("status") == "sent"),
            "the email fallback of the failed SMS to be sent");
        var email = report.LineOf(c, "email");
        Assert.Equal(("ann@school.example", sms), (email.Str("address"), email["fallbackFor"]!.GetValue<long>()));
        Assert.Contains((await h.Client.LogAsync(c)).Entries(), e => e.Str("detail") == "fallback: sms failed (stat:UNDELIV err:001)");
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_non_essential_announcement_does_not_fall_back(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var c = await h.Client.AddContactAsync(null, "07400 123456");
        var a = await EssentialAsync(h.Client, [c], ["email"], essential: false);
        await h.Client.SendAsync(a);
        var report = await h.Client.ReportAsync(a);
        Assert.Equal("email_missing", Assert.Single(report.Lines())!.Str("status"));
        Assert.DoesNotContain((await h.Client.LogAsync(c)).Entries(), e => e.Str("detail")?.Contains("fallback") == true);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_contact_already_sent_the_sms_gets_no_second_sms_when_the_email_bounces(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var c = await h.Client.AddContactAsync("ann@school.example", "07400 123456");
        var a = await EssentialAsync(h.Client, [c], ["email", "sms"]);
        await h.Client.SendAsync(a);
        var before = await h.Client.ReportAsync(a);
        await PostEvent(h.Operator, DeliveryOf(before, c, "sms"), "delivered", "DLR delivered");
        await PostEvent(h.Operator, DeliveryOf(before, c, "email"), "hard_bounce", "550 5.1.1 no such user");
        var report = await h.Client.ReportAsync(a);
        var sms = Assert.Single(LinesOf(report, c, "sms"));
        Assert.Equal(("delivered", false), (sms.Str("status"), sms["fallback"]!.GetValue<bool>()));
        Assert.DoesNotContain((await h.Client.LogAsync(c)).Entries(), e => e.Str("detail")?.Contains("fallback") == true);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task The_report_tells_staff_which_line_reached_the_contact_by_fallback(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var c = await h.Client.AddContactAsync(null, "07400 123456");
        var a = await EssentialAsync(h.Client, [c], ["email"]);
        await h.Client.SendAsync(a);
        var report = await h.Client.ReportAsync(a);
        Assert.Contains("Reached by fallback: sent by SMS because the email was email_missing.", report.LineOf(c, "sms").Str("explanation"));
        Assert.Contains("Sent by SMS instead (fallback).", report.LineOf(c, "email").Str("explanation"));
        Assert.Equal(report.LineOf(c, "sms")["deliveryId"]!.GetValue<long>(), report.LineOf(c, "email")["fallbackDelivery"]!.GetValue<long>());
        Assert.Contains((await h.Client.LogAsync(c)).Entries(),
            e => e.Str("channel") == "sms" && e.Str("detail") == "fallback: email email_missing (no usable primary email)");
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task An_essential_email_whose_text_is_too_long_for_sms_logs_why_there_is_no_fallback(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var c = await h.Client.AddContactAsync(null, "07400 123456");
        var a = await EssentialAsync(h.Client, [c], ["email"], text: new string('a', 2000));
        await h.Client.SendAsync(a);
        Assert.Single((await h.Client.ReportAsync(a)).Lines());
        Assert.Contains((await h.Client.LogAsync(c)).Entries(),
            e => e.Str("detail")?.EndsWith("no fallback by sms after email email_missing (no usable primary email): its text needs 14 SMS parts (GSM-7); the maximum is 6") == true);
    }
}

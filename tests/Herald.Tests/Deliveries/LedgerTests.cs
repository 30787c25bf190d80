using System.Net;
using Herald.Core.Deliveries;
using Herald.Deliveries;
using Herald.Dispatch;
using Herald.Tests.Api;
using Herald.Tests.Email;
using Herald.Tests.Servers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Tests.Deliveries;

/// <summary>The ledger's rules, end to end: retries follow their schedule, a blocked address ends a retry, claims are
/// fences, feedback soft bounces settle, and feedback from the API says who sent it.</summary>
public class LedgerTests
{
    private const string Secret = "ledger-test-verp-secret-0123456789";

    /// <summary>SMTP through the run's Postfix, with a claim far shorter than the schedule's delays: a retry that
    /// waited for the claim to lapse (rather than for its schedule) would show as many more tries.</summary>
    private static async Task<HeraldHost> StartSmtpAsync(string provider, FakeTimeProvider time)
    {
        var mail = await MailServers.Shared;
        return await HeraldHost.StartAsync(provider, time, dispatcher: false, settings: new Dictionary<string, string?>
        {
            ["Herald:Transport:Email"] = "smtp",
            ["Herald:Email:Smtp:Host"] = mail.SmtpHost,
            ["Herald:Email:Smtp:Port"] = mail.SmtpPort.ToString(),
            ["Herald:Email:Smtp:Security"] = "none",
            ["Herald:Email:Smtp:Timeout"] = "00:00:02",
            ["Herald:Dispatch:ClaimTimeout"] = "00:00:20",
            ["Herald:Email:Bounces:Domain"] = MailServers.Domain,
            ["Herald:Email:Bounces:TokenSecret"] = Secret,
        });
    }

    private static async Task<string> GreylistedAddressAsync()
    {
        var address = $"alice+grey-{Guid.NewGuid().ToString("N")[..10]}@{MailServers.Domain}";
        await (await MailServers.Shared).SetRecipientAnswerAsync(address, "450 4.7.1 Greylisted, try again later");
        return address;
    }

    private static async Task<int> TransportTriesAsync(HttpClient c, long contact) =>
        (await c.LogAsync(contact)).Entries().Count(e => e.Str("source") == "transport");

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_repeated_soft_bounce_is_retried_on_its_schedule_not_every_claim(string provider)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await StartSmtpAsync(provider, time);
        var contact = await h.Client.AddContactAsync(await GreylistedAddressAsync());
        var a = await h.Client.SendToAsync([contact]);
        var dispatcher = h.Service<Dispatcher>();

        // 25 minutes in steps of 20 s (the claim's length): the greylisting row waits 2, 5, then 10 minutes (±10%), so
        // tries come at 0, ~2, ~7 and ~17 minutes, and the fifth not before 33.
        for (var t = TimeSpan.Zero; t <= TimeSpan.FromMinutes(25); t += TimeSpan.FromSeconds(20))
        {
            while (await dispatcher.RunOnceAsync(CancellationToken.None) > 0) { }
            time.Advance(TimeSpan.FromSeconds(20));
        }
        Assert.Equal(4, await TransportTriesAsync(h.Client, contact));
        var report = await h.Client.ReportAsync(a);
        Assert.Equal("soft_bounce", report.StatusOf(contact));
        Assert.Equal(1, report.Count("soft_bounce"));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task An_address_failed_while_its_delivery_waits_to_retry_is_dropped_once_and_not_claimed_again(string provider)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await StartSmtpAsync(provider, time);
        var contact = await h.Client.AddContactAsync(await GreylistedAddressAsync());
        var first = await h.Client.SendToAsync([contact]);
        var dispatcher = h.Service<Dispatcher>();
        Assert.Equal(1, await dispatcher.RunOnceAsync(CancellationToken.None));
        Assert.Equal("soft_bounce", (await h.Client.ReportAsync(first)).StatusOf(contact));

        // A sibling delivery to the same address hard-bounces (feedback for another announcement).
        var second = await h.Client.AddAnnouncementAsync([contact]);
        await h.Client.SendAsync(second);
        var sibling = (await h.Client.ReportAsync(second)).LineOf(contact)["deliveryId"]!.GetValue<long>();
        await h.Client.PostJson("api/v1/events", new { deliveryId = sibling, status = "hard_bounce", reason = "userunknown" }).ExpectAsync(HttpStatusCode.OK);

        for (var i = 0; i < 10; i++)
        {
            time.Advance(TimeSpan.FromMinutes(5));
            await dispatcher.RunOnceAsync(CancellationToken.None);
        }
        var report = await h.Client.ReportAsync(first);
        Assert.Equal("dropped", report.StatusOf(contact));
        Assert.Equal((0, 1), (report.Count("soft_bounce"), report.Count("dropped")));
        var log = await h.Client.LogAsync(contact);
        Assert.Equal(1, log.Entries().Count(e => e.Str("status") == "dropped" && e!["announcementId"]!.GetValue<long>() == first));
        Assert.Equal(1, await TransportTriesAsync(h.Client, contact));
        time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(0, await dispatcher.RunOnceAsync(CancellationToken.None));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task An_answer_under_a_lapsed_claim_is_logged_but_moves_nothing_and_the_current_claim_decides(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var contact = await h.Client.AddContactAsync("lapsed@school.example");
        var a = await h.Client.SendToAsync([contact]);
        var ledger = h.Service<DeliveryLedger>();

        // A lease of a millisecond lapses at once: a second worker claims the same delivery under a new token.
        var stale = ledger.Claim(10, TimeSpan.FromMilliseconds(1));
        await Task.Delay(20);
        var current = ledger.Claim(10, TimeSpan.FromMinutes(10));
        var d = Assert.Single(stale.Deliveries);
        Assert.Equal(d.Id, Assert.Single(current.Deliveries).Id);

        Assert.Equal([CompletionResult.Lapsed], ledger.Complete([new Completion(d, stale.Token, DeliveryStatus.HardBounce, EventSource.Transport,
            "550 5.1.1 no such user (stale worker)", "userunknown", DateTimeOffset.UtcNow)]));
        var report = await h.Client.ReportAsync(a);
        Assert.Equal("queued", report.StatusOf(contact));
        var log = await h.Client.LogAsync(contact);
        Assert.Contains(log.Entries(), e => e.Str("detail")!.Contains("answer to a claim that had lapsed"));

        // The address was not failed by the stale answer: the current claim's answer is what counts.
        Assert.Equal([CompletionResult.Applied], ledger.Complete([new Completion(Assert.Single(current.Deliveries), current.Token, DeliveryStatus.Sent,
            EventSource.Transport, "250 2.0.0 Ok", null, DateTimeOffset.UtcNow)]));
        Assert.Equal("sent", (await h.Client.ReportAsync(a)).StatusOf(contact));
        var next = await h.Client.SendToAsync([contact]);
        Assert.Equal("queued", (await h.Client.ReportAsync(next)).StatusOf(contact));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_soft_bounce_reported_as_feedback_settles_on_sent_when_nothing_fails_by_the_deadline(string provider)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await HeraldHost.StartAsync(provider, time, dispatcher: false);
        var contact = await h.Client.AddContactAsync("slow-relay@school.example");
        var a = await h.Client.SendToAsync([contact]);
        var dispatcher = h.Service<Dispatcher>();
        await dispatcher.RunOnceAsync(CancellationToken.None);
        var delivery = (await h.Client.ReportAsync(a)).LineOf(contact)["deliveryId"]!.GetValue<long>();
        await h.Client.PostJson("api/v1/events", new { deliveryId = delivery, status = "soft_bounce", detail = "provider: deferred, still trying" })
            .ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("soft_bounce", (await h.Client.ReportAsync(a)).StatusOf(contact));

        // Not retried by Herald (the provider is retrying), and not settled before the deadline.
        time.Advance(TimeSpan.FromDays(4));
        Assert.Equal(0, await dispatcher.RunOnceAsync(CancellationToken.None));
        Assert.Equal("soft_bounce", (await h.Client.ReportAsync(a)).StatusOf(contact));
        time.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        Assert.Equal(1, await dispatcher.RunOnceAsync(CancellationToken.None));
        var report = await h.Client.ReportAsync(a);
        Assert.Equal("sent", report.StatusOf(contact));
        Assert.Equal((0, 1), (report.Count("soft_bounce"), report.Count("sent")));
        Assert.Contains((await h.Client.LogAsync(contact)).Entries(), e => e.Str("detail")!.Contains("settled as sent"));
        // One message only: the settle deadline is not a send.
        Assert.Single(Directory.GetFiles(h.SandboxEmailFolder, $"{delivery}-*.eml"));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_relays_delayed_report_then_nothing_settles_on_sent_after_the_deadline_without_a_second_message(string provider)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await HeraldHost.StartAsync(provider, time, dispatcher: false, settings: new Dictionary<string, string?>
        {
            ["Herald:Email:Bounces:Domain"] = MailServers.Domain,
            ["Herald:Email:Bounces:TokenSecret"] = Secret,
        });
        var address = $"slow-{Guid.NewGuid():N}"[..16] + "@example.org";
        var contact = await h.Client.AddContactAsync(address);
        var a = await h.Client.SendToAsync([contact]);
        var dispatcher = h.Service<Dispatcher>();
        await dispatcher.RunOnceAsync(CancellationToken.None);
        var delivery = (await h.Client.ReportAsync(a)).LineOf(contact)["deliveryId"]!.GetValue<long>();
        var sent = MimeKit.MimeMessage.Load(Assert.Single(Directory.GetFiles(h.SandboxEmailFolder, $"{delivery}-*.eml")));

        // Postfix's warning after 4 hours, to the message's signed return path.
        var verp = new Herald.Email.VerpAddress("bounces", MailServers.Domain, Secret);
        var dsn = Herald.Tests.Email.Reports.Dsn(verp.For(delivery, 1), address, sent, "delayed", "4.4.1", "connect to mx.example.org[192.0.2.7]:25: Connection timed out");
        var processed = h.Service<Herald.Bounces.BounceMailProcessor>().Process(System.Text.Encoding.UTF8.GetBytes(dsn.ReplaceLineEndings("\r\n")));
        Assert.Equal(DeliveryStatus.SoftBounce, processed.Status);

        time.Advance(TimeSpan.FromDays(4));
        Assert.Equal(0, await dispatcher.RunOnceAsync(CancellationToken.None));
        time.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        Assert.Equal(1, await dispatcher.RunOnceAsync(CancellationToken.None));
        Assert.Equal("sent", (await h.Client.ReportAsync(a)).StatusOf(contact));
        Assert.Single(Directory.GetFiles(h.SandboxEmailFolder, $"{delivery}-*.eml"));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Feedback_cannot_say_that_a_delivery_Herald_has_not_sent_yet_was_sent_or_deferred(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var contact = await h.Client.AddContactAsync("not-yet@school.example");
        var a = await h.Client.SendToAsync([contact]);
        var delivery = (await h.Client.ReportAsync(a)).LineOf(contact)["deliveryId"]!.GetValue<long>();
        foreach (var status in new[] { "sent", "soft_bounce" })
        {
            var answer = await h.Client.PostJson("api/v1/events", new { deliveryId = delivery, status }).ExpectAsync(HttpStatusCode.OK);
            Assert.Equal(("logged", "queued"), (answer.Str("result"), answer.Str("status")));
        }
        // Still queued, so the dispatcher sends it once.
        Assert.Equal(1, await h.Service<Dispatcher>().RunOnceAsync(CancellationToken.None));
        Assert.Single(Directory.GetFiles(h.SandboxEmailFolder, $"{delivery}-*.eml"));
        Assert.Equal("sent", (await h.Client.ReportAsync(a)).StatusOf(contact));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_school_keys_event_is_recorded_as_api_with_the_keys_name_and_cannot_claim_support_or_the_future(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var contact = await h.Client.AddContactAsync("events@school.example");
        var a = await h.Client.SendToAsync([contact]);
        var delivery = (await h.Client.ReportAsync(a)).LineOf(contact)["deliveryId"]!.GetValue<long>();

        var claimed = await h.Client.PostJson("api/v1/events", new { deliveryId = delivery, status = "delivered", source = "support" })
            .ExpectAsync(HttpStatusCode.BadRequest);
        Assert.Contains("only an operator key may name the source", claimed["errors"]!["source"]![0]!.GetValue<string>());
        var future = await h.Client.PostJson("api/v1/events", new { deliveryId = delivery, status = "delivered", occurredAt = DateTimeOffset.UtcNow.AddDays(1) })
            .ExpectAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(future["errors"]!["occurredAt"]);
        Assert.Equal("queued", (await h.Client.ReportAsync(a)).StatusOf(contact));

        await h.Client.PostJson("api/v1/events", new { deliveryId = delivery, status = "delivered" }).ExpectAsync(HttpStatusCode.OK);
        var entry = (await h.Client.LogAsync(contact)).Entries().Single(e => e.Str("status") == "delivered");
        Assert.Equal(("api", "test"), (entry.Str("source"), entry.Str("actor")));

        // The operator (relaying a provider's webhook) may say where it came from; nobody may claim Herald's own decisions.
        await h.Operator.PostJson("api/v1/events", new { deliveryId = delivery, detail = "support looked at it", source = "support" }).ExpectAsync(HttpStatusCode.OK);
        await h.Operator.PostJson("api/v1/events", new { deliveryId = delivery, status = "opened", source = "transport" }).ExpectAsync(HttpStatusCode.BadRequest);
        Assert.Contains((await h.Client.LogAsync(contact)).Entries(), e => e.Str("source") == "support" && e.Str("actor") == "support");
    }

    [Fact]
    public void A_claim_shorter_than_two_sends_is_refused_at_start_up_naming_both_settings()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Herald:Transport:Email"] = "smtp",
            ["Herald:Email:Smtp:Host"] = "127.0.0.1",
            ["Herald:Email:Smtp:Timeout"] = "00:01:00",
            ["Herald:Email:Bounces:Domain"] = "bounce.example",
            ["Herald:Email:Bounces:TokenSecret"] = Secret,
            ["Herald:Dispatch:ClaimTimeout"] = "00:05:00",
            ["Herald:Dispatch:ShutdownTimeout"] = "00:01:00",
        }).Build();
        var e = Assert.Throws<InvalidOperationException>(() => Herald.Hosting.HeraldApp.LoadOptions(config));
        Assert.Contains("Herald:Dispatch:ClaimTimeout: 00:05:00 is less than twice the longest a send can take (4 × Herald:Email:Smtp:Timeout = 00:04:00)", e.Message);
        Assert.Contains("Herald:Dispatch:ShutdownTimeout: 00:01:00 is less than the longest a send can take", e.Message);
    }
}

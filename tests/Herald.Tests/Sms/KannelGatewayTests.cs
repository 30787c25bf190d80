using Herald.Dispatch;
using Herald.Sms;
using Herald.Tests.Api;
using Herald.Tests.Servers;
using Microsoft.Extensions.Time.Testing;
using static Herald.Tests.Sms.KannelSmsTests;

namespace Herald.Tests.Sms;

/// <summary>Herald against Kannel when the gateway must be held back (throughput limit) or is down. Herald runs on a
/// fake clock, so the limit's refill and the retry schedule move only when the test moves the clock.</summary>
public class KannelGatewayTests
{
    private static long[] Numbers(int first, int count) => [.. Enumerable.Range(first, count).Select(i => 447400120000L + i)];

    [Fact]
    public async Task Throughput_limit_holds_the_rest_until_the_clock_moves()
    {
        var kannel = await KannelServer.Shared;
        var url = $"http://127.0.0.1:{ServerHelpers.FreePort()}";
        var settings = Settings(url, $"http://{kannel.Host}:{kannel.SendsmsPort}/cgi-bin/sendsms");
        settings["Herald:Sms:MaxPerSecond"] = "3";
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await HeraldHost.StartAsync("sqlite", time, settings: settings);
        var limiter = Assert.IsType<RateLimitedSms>(h.Service<ISmsTransport>());
        // The limit passes the gateway's parallelism through: the 7 SMS below are submitted 8 at a time, and the
        // shared bucket still holds them to 3 a second.
        Assert.Equal(8, limiter.MaxInFlight);

        // Numbers that end in 1..7: the carrier delivers them all (only numbers ending in 0 fail).
        var numbers = Numbers(5101, 7).Select(n => $"+{n}").ToArray();
        var contacts = new List<long>();
        foreach (var n in numbers) contacts.Add(await h.Client.AddContactAsync(null, n));
        var a = await h.Client.SendToAsync([.. contacts], channels: ["sms"]);

        // The clock stands still: one second's worth (3) goes, the 4th waits in the limiter, nothing else moves.
        var report = await h.Client.WaitForReportAsync(a, r => limiter.Waiting > 0 && contacts.Count(c => r.StatusOf(c, "sms") != "queued") == 3,
            "3 SMS past the limit and the 4th waiting for the clock");
        Assert.Equal(4, contacts.Count(c => report.StatusOf(c, "sms") == "queued"));
        Assert.Equal(0, contacts.Count(c => report.StatusOf(c, "sms") is not ("queued" or "sent" or "delivered")));

        // Each second of clock lets three more go, until all are delivered.
        await h.Client.WaitForReportAsync(a, r => contacts.All(c => r.StatusOf(c, "sms") == "delivered"), "every SMS delivered",
            between: () => { if (limiter.Waiting > 0) time.Advance(TimeSpan.FromSeconds(1)); return Task.CompletedTask; });
        foreach (var n in numbers)
            Assert.Equal(1, kannel.Carrier.Submits.Count(s => s["to"] == n));
    }

    [Fact]
    public async Task Sms_held_by_the_limit_past_the_claims_start_deadline_are_given_back_untried_and_each_sent_once_later()
    {
        var kannel = await KannelServer.Shared;
        var url = $"http://127.0.0.1:{ServerHelpers.FreePort()}";
        var settings = Settings(url, $"http://{kannel.Host}:{kannel.SendsmsPort}/cgi-bin/sendsms");
        settings["Herald:Sms:MaxPerSecond"] = "3";
        settings["Herald:Dispatch:ClaimTimeout"] = "00:00:10";
        settings["Herald:Sms:Timeout"] = "00:00:05";
        settings["Herald:Dispatch:BatchSize"] = "20";
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await HeraldHost.StartAsync("sqlite", time, settings: settings);
        var limiter = Assert.IsType<RateLimitedSms>(h.Service<ISmsTransport>());
        var numbers = Numbers(5301, 7).Select(n => $"+{n}").ToArray();
        var contacts = new List<long>();
        foreach (var n in numbers) contacts.Add(await h.Client.AddContactAsync(null, n));
        var a = await h.Client.SendToAsync([.. contacts], channels: ["sms"]);
        await h.Client.WaitForReportAsync(a, r => limiter.Waiting == 4 && contacts.Count(c => r.StatusOf(c, "sms") != "queued") == 3,
            "3 SMS past the limit and 4 waiting for the clock");

        // The clock jumps past the last moment the 10 s claim leaves to start a send (10 s less the 5 s a submission may
        // take) while 4 wait: another worker may take them over now, so this one must not submit them. They are given
        // back untried, due again at once, and go out on a later round.
        time.Advance(TimeSpan.FromSeconds(6));
        await h.Client.WaitForReportAsync(a, r => contacts.All(c => r.StatusOf(c, "sms") == "delivered"), "every SMS delivered",
            between: () => { if (limiter.Waiting > 0) time.Advance(TimeSpan.FromSeconds(1)); return Task.CompletedTask; });
        var givenBack = 0;
        foreach (var c in contacts)
            if ((await h.Client.LogAsync(c)).Entries().Any(e => e.Str("detail")?.Contains("not attempted: waited too long for the throughput limit") == true))
                givenBack++;
        Assert.Equal(4, givenBack);
        foreach (var n in numbers)
            Assert.Equal(1, kannel.Carrier.Submits.Count(s => s["to"] == n));
    }

    [Fact]
    public async Task Kannel_down_stays_queued_without_blaming_the_number_and_sends_once_when_it_is_back()
    {
        // Herald points at a port where nothing listens yet; a private Kannel (with its own carrier, so the count
        // below is this test's alone) is started there later. The shared Kannel is never stopped.
        var sendsmsPort = ServerHelpers.FreePort();
        var url = $"http://127.0.0.1:{ServerHelpers.FreePort()}";
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await HeraldHost.StartAsync("sqlite", time, settings: Settings(url, $"http://127.0.0.1:{sendsmsPort}/cgi-bin/sendsms"));
        const string number = "+447400125201";
        var c = await h.Client.AddContactAsync(null, number);
        var a = await h.Client.SendToAsync([c], channels: ["sms"]);

        // Connection refused: a soft bounce with the next try scheduled, twice (the clock moved past the first retry).
        await WaitForSms(h.Client, a, c, "soft_bounce");
        time.Advance(TimeSpan.FromMinutes(15));
        await WaitForLogAsync(h, c, n => n >= 2, "two soft bounces");
        var log = (await h.Client.LogAsync(c)).Entries();
        Assert.All(log.Where(e => e.Str("status") == "soft_bounce"), e => Assert.Contains("transport error", e.Str("detail")));

        await using var kannel = await KannelServer.StartPrivateAsync(sendsmsPort);
        // The next retry is due within the hour ("server down" schedule: 10 min, 30 min, 1 h…).
        time.Advance(TimeSpan.FromHours(1));
        await WaitForSms(h.Client, a, c, "delivered");
        Assert.Equal(1, kannel.Carrier.Submits.Count(s => s["to"] == number));

        // The number was never blamed: the next SMS to it goes through too.
        var next = await h.Client.SendToAsync([c], channels: ["sms"]);
        await WaitForSms(h.Client, next, c, "delivered");
        Assert.Equal(2, kannel.Carrier.Submits.Count(s => s["to"] == number));
    }

    private static async Task WaitForLogAsync(HeraldHost h, long contact, Func<int, bool> softBounces, string what)
    {
        await ServerHelpers.WaitUntilAsync(async () =>
                softBounces((await h.Client.LogAsync(contact)).Entries().Count(e => e.Str("status") == "soft_bounce")),
            HeraldHost.DispatchTimeout, () => $"contact {contact}: {what}");
    }
}

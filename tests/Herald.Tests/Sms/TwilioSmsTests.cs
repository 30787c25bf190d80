using System.Net;
using System.Text.Json.Nodes;
using Herald.Hosting;
using Herald.Tests.Api;
using Herald.Tests.Servers;
using Microsoft.Extensions.Configuration;

namespace Herald.Tests.Sms;

/// <summary>SMS through a Twilio-like provider (<see cref="TwilioSimulator"/>) that posts signed status callbacks to Herald.</summary>
public class TwilioSmsTests
{
    private const string StatusPath = "/api/v1/sms/twilio/status";

    private static Dictionary<string, string?> Settings(string herald, TwilioSimulator twilio, string authToken = TwilioSimulator.AuthToken) => new()
    {
        ["Herald:Urls"] = herald,
        ["Herald:Transport:Sms"] = "twilio",
        ["Herald:Sms:Twilio:BaseUrl"] = twilio.BaseUrl,
        ["Herald:Sms:Twilio:AccountSid"] = TwilioSimulator.AccountSid,
        ["Herald:Sms:Twilio:AuthToken"] = authToken,
        ["Herald:Sms:Twilio:From"] = "+447700900001",
        ["Herald:Sms:Twilio:StatusCallbackUrl"] = herald + StatusPath,
    };

    /// <summary>Herald and its provider, stopped together.</summary>
    private sealed record Run(HeraldHost H, TwilioSimulator Twilio) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() { await H.DisposeAsync(); await Twilio.DisposeAsync(); }
    }

    // The provider must call Herald back, so Herald listens on a port chosen before it starts.
    private static async Task<Run> StartAsync(string provider = "sqlite", string authToken = TwilioSimulator.AuthToken)
    {
        var twilio = new TwilioSimulator();
        var url = $"http://127.0.0.1:{ServerHelpers.FreePort()}";
        return new(await HeraldHost.StartAsync(provider, settings: Settings(url, twilio, authToken)), twilio);
    }

    private static Task<JsonNode> WaitForSms(HttpClient c, long announcement, long contact, string status) =>
        c.WaitForReportAsync(announcement, r => r.StatusOf(contact, "sms") == status, $"contact {contact}'s SMS to reach {status}");

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Delivered_callback_makes_the_sms_delivered(string provider)
    {
        await using var run = await StartAsync(provider);
        var (h, twilio) = run;
        var c = await h.Client.AddContactAsync(null, "+447400123461");
        var a = await h.Client.SendToAsync([c], channels: ["sms"]);
        var report = await WaitForSms(h.Client, a, c, "delivered");
        var delivery = report.LineOf(c, "sms")["deliveryId"]!.GetValue<long>();

        var submit = Assert.Single(twilio.Submits, s => s["To"] == "+447400123461");
        Assert.Equal("+447700900001", submit["From"]);
        Assert.Equal("Sports day is on Friday.", submit["Body"]);
        Assert.Equal($"{h.BaseAddress.ToString().TrimEnd('/')}{StatusPath}?d={delivery}&a=1", submit["StatusCallback"]);
        var log = (await h.Client.LogAsync(c)).Entries();
        Assert.Contains(log, e => e.Str("status") == "sent" && e.Str("detail")!.StartsWith("twilio: SM") && e.Str("detail")!.EndsWith("queued"));
        Assert.Contains(log, e => e.Str("status") == "delivered" && e.Str("detail")!.StartsWith("twilio delivered"));
    }

    [Fact]
    public async Task Unreachable_handset_30003_marks_the_number_failed_and_drops_the_next_sms()
    {
        await using var run = await StartAsync();
        var (h, twilio) = run;
        var c = await h.Client.AddContactAsync(null, "+447400123463");
        var a = await h.Client.SendToAsync([c], channels: ["sms"]);
        await WaitForSms(h.Client, a, c, "failed");
        var log = (await h.Client.LogAsync(c)).Entries();
        Assert.Contains(log, e => e.Str("status") == "failed" && e.Str("detail")!.Contains("30003 unreachable destination handset"));

        var next = await h.Client.SendToAsync([c], channels: ["sms"]);
        await WaitForSms(h.Client, next, c, "dropped");
        Assert.Equal(1, twilio.SubmitsTo("+447400123463"));
    }

    [Fact]
    public async Task Carrier_error_30008_fails_the_sms_but_not_the_number()
    {
        await using var run = await StartAsync();
        var (h, twilio) = run;
        var c = await h.Client.AddContactAsync(null, "+447400123468");
        var a = await h.Client.SendToAsync([c], channels: ["sms"]);
        await WaitForSms(h.Client, a, c, "failed");
        Assert.Contains((await h.Client.LogAsync(c)).Entries(), e => e.Str("detail")!.Contains("30008 unknown error"));

        // The number is still usable: the next SMS is sent again (and fails again at this simulated carrier).
        var next = await h.Client.SendToAsync([c], channels: ["sms"]);
        await WaitForSms(h.Client, next, c, "failed");
        Assert.Equal(2, twilio.SubmitsTo("+447400123468"));
    }

    [Fact]
    public async Task Number_refused_at_submit_with_21211_is_failed_and_marked()
    {
        await using var run = await StartAsync();
        var (h, twilio) = run;
        var c = await h.Client.AddContactAsync(null, "+447400123469");
        var a = await h.Client.SendToAsync([c], channels: ["sms"]);
        await WaitForSms(h.Client, a, c, "failed");
        Assert.Contains((await h.Client.LogAsync(c)).Entries(),
            e => e.Str("status") == "failed" && e.Str("detail")!.Contains("HTTP 400 error 21211 invalid 'To' phone number"));
        var next = await h.Client.SendToAsync([c], channels: ["sms"]);
        await WaitForSms(h.Client, next, c, "dropped");
    }

    [Fact]
    public async Task Wrong_credentials_are_retried_without_blaming_the_number()
    {
        await using var run = await StartAsync(authToken: "not-the-right-auth-token-000");
        var (h, twilio) = run;
        var c = await h.Client.AddContactAsync(null, "+447400123461");
        var a = await h.Client.SendToAsync([c], channels: ["sms"]);
        await WaitForSms(h.Client, a, c, "soft_bounce");
        Assert.Contains((await h.Client.LogAsync(c)).Entries(), e => e.Str("detail")!.Contains("HTTP 401 error 20003 authentication error"));
    }

    [Fact]
    public async Task Callbacks_need_a_good_signature_a_known_delivery_and_a_well_formed_form()
    {
        await using var run = await StartAsync();
        var (h, twilio) = run;
        var c = await h.Client.AddContactAsync(null, "+447400123461");
        var a = await h.Client.SendToAsync([c], channels: ["sms"]);
        var report = await WaitForSms(h.Client, a, c, "delivered");
        var delivery = report.LineOf(c, "sms")["deliveryId"]!.GetValue<long>();
        var sid = Assert.Single(twilio.CallbackAnswers, x => x.Status == "delivered").Sid;
        var http = h.CreateClient(null);
        var url = $"{h.BaseAddress.ToString().TrimEnd('/')}{StatusPath}?d={delivery}&a=1";
        Dictionary<string, string> Form(string status, string? error = null)
        {
            var f = new Dictionary<string, string> { ["AccountSid"] = TwilioSimulator.AccountSid, ["MessageSid"] = sid, ["MessageStatus"] = status };
            if (error is not null) f["ErrorCode"] = error;
            return f;
        }
        var before = (await h.Client.LogAsync(c)).Entries().Count;
        var forbiddenBefore = await CallbackCountAsync(h.Operator, "forbidden");
        var unknownBefore = await CallbackCountAsync(h.Operator, "unknown_delivery");

        // Forged: no signature, a signature with another key, a signature over another delivery's URL, a changed field.
        var failed = Form("undelivered", "30003");
        using (var r = await http.PostAsync(url, new FormUrlEncodedContent(failed)))
            Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        using (var r = await TwilioSimulator.PostCallbackAsync(http, url, failed, TwilioSimulator.Sign("some-other-auth-token-00000", url, failed)))
        {
            Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
            Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        }
        var otherUrl = url.Replace($"d={delivery}", $"d={delivery + 1}");
        using (var r = await TwilioSimulator.PostCallbackAsync(http, url, failed, TwilioSimulator.Sign(TwilioSimulator.AuthToken, otherUrl, failed)))
            Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        var signedDelivered = TwilioSimulator.Sign(TwilioSimulator.AuthToken, url, Form("delivered"));
        using (var r = await TwilioSimulator.PostCallbackAsync(http, url, failed, signedDelivered))
            Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);

        // Signed but malformed: 400 naming what is wrong.
        var noStatus = new Dictionary<string, string> { ["AccountSid"] = TwilioSimulator.AccountSid, ["MessageSid"] = sid };
        var bad = await TwilioSimulator.PostCallbackAsync(http, url, noStatus).ExpectAsync(HttpStatusCode.BadRequest);
        Assert.Contains("MessageStatus: required", bad["detail"]!.GetValue<string>());
        bad = await TwilioSimulator.PostCallbackAsync(http, url, Form("exploded")).ExpectAsync(HttpStatusCode.BadRequest);
        Assert.Contains("MessageStatus: unknown value 'exploded'", bad["detail"]!.GetValue<string>());
        bad = await TwilioSimulator.PostCallbackAsync(http, url, Form("failed", "x1")).ExpectAsync(HttpStatusCode.BadRequest);
        Assert.Contains("ErrorCode: 'x1' is not a number", bad["detail"]!.GetValue<string>());
        var noQuery = $"{h.BaseAddress.ToString().TrimEnd('/')}{StatusPath}";
        bad = await TwilioSimulator.PostCallbackAsync(http, noQuery, Form("delivered")).ExpectAsync(HttpStatusCode.BadRequest);
        Assert.Contains("query d", bad["detail"]!.GetValue<string>());
        bad = await http.PostRaw(url, "{}").ExpectAsync(HttpStatusCode.UnsupportedMediaType);
        Assert.Contains("application/x-www-form-urlencoded", bad["detail"]!.GetValue<string>());

        // Signed, for a delivery that does not exist: 404.
        var unknownUrl = url.Replace($"d={delivery}", "d=999999");
        using (var r = await TwilioSimulator.PostCallbackAsync(http, unknownUrl, Form("delivered")))
            Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);

        // The same signed callback again: a duplicate, accepted and ignored.
        using (var r = await TwilioSimulator.PostCallbackAsync(http, url, Form("delivered")))
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);

        Assert.Equal("delivered", (await h.Client.ReportAsync(a)).StatusOf(c, "sms"));
        Assert.Equal(before, (await h.Client.LogAsync(c)).Entries().Count);
        // Counted in the metrics (process-wide counters that other tests may also move: at least ours).
        Assert.True(await CallbackCountAsync(h.Operator, "forbidden") >= forbiddenBefore + 4);
        Assert.True(await CallbackCountAsync(h.Operator, "unknown_delivery") >= unknownBefore + 1);
        // The number was not marked failed by any of it.
        var next = await h.Client.SendToAsync([c], channels: ["sms"]);
        await WaitForSms(h.Client, next, c, "delivered");
    }

    private static async Task<double> CallbackCountAsync(HttpClient http, string result)
    {
        var line = (await http.GetStringAsync("metrics")).Split('\n')
            .FirstOrDefault(l => l.StartsWith($"herald_twilio_callbacks_total{{result=\"{result}\"}}"));
        return line is null ? 0 : double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Parallel_submissions_send_each_sms_once_and_record_each(string provider)
    {
        await using var run = await StartAsync(provider);
        var (h, twilio) = run;
        Assert.Equal(8, h.Service<Herald.Sms.ISmsTransport>().MaxInFlight);
        // More numbers than the 8 in flight, so slots are reused within one batch.
        // Endings 3, 8 and 9 make the simulator fail the message; the rest are delivered.
        var numbers = Enumerable.Range(10, 60).Where(i => i % 10 is not (3 or 8 or 9)).Take(30).Select(i => $"+4474001235{i:D2}").ToArray();
        var contacts = new List<long>();
        foreach (var n in numbers) contacts.Add(await h.Client.AddContactAsync(null, n));
        var a = await h.Client.SendToAsync([.. contacts], channels: ["sms"]);
        await h.Client.WaitForReportAsync(a, r => contacts.All(c => r.StatusOf(c, "sms") == "delivered"), "every SMS delivered");
        foreach (var n in numbers) Assert.Equal(1, twilio.SubmitsTo(n));
        // The transport's own answer, once (the provider's "sent" callback is logged besides it). The callbacks can be
        // recorded before the dispatcher's writer commits that answer, so wait for it rather than read once.
        foreach (var c in contacts)
            await ServerHelpers.WaitUntilAsync(
                async () => (await h.Client.LogAsync(c)).Entries().Count(e => e.Str("status") == "sent" && e.Str("detail")!.StartsWith("twilio: SM")) == 1,
                HeraldHost.DispatchTimeout, () => $"contact {c}: one transport answer in the log");
    }

    [Fact]
    public void Twilio_settings_are_checked_at_start_up()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Herald:Transport:Sms"] = "twilio",
            ["Herald:Sms:Twilio:AccountSid"] = "AC123",
            ["Herald:Sms:Twilio:AuthToken"] = "short",
            ["Herald:Sms:Twilio:BaseUrl"] = "ftp://example.org",
            ["Herald:Sms:MaxPerSecond"] = "-1",
            ["Herald:Sms:Connections"] = "0",
        }).Build();
        var e = Assert.Throws<InvalidOperationException>(() => HeraldApp.LoadOptions(config));
        foreach (var expected in new[]
                 {
                     "Herald:Sms:Twilio:AccountSid: 'AC' followed by 32 hexadecimal digits",
                     "Herald:Sms:Twilio:AuthToken: at least 16 characters",
                     "Herald:Sms:Twilio:StatusCallbackUrl: required when Herald:Transport:Sms is twilio",
                     "Herald:Sms:Twilio:From / MessagingServiceSid: give exactly one of them",
                     "Herald:Sms:Twilio:BaseUrl: not an absolute http(s) URL",
                     "Herald:Sms:MaxPerSecond: between 0 (no limit) and 10000",
                     "Herald:Sms:Connections: between 1 and 256",
                 })
            Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_throughput_limit_too_low_for_the_batch_is_refused_at_start_up()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Herald:Sms:MaxPerSecond"] = "1",
            ["Herald:Dispatch:BatchSize"] = "1000",
            ["Herald:Dispatch:ClaimTimeout"] = "00:05:00",
        }).Build();
        var e = Assert.Throws<InvalidOperationException>(() => HeraldApp.LoadOptions(config));
        Assert.Contains("Herald:Sms:MaxPerSecond: 1/s cannot send a batch of Herald:Dispatch:BatchSize = 1000", e.Message);
    }

    /// <summary>Sends the head of a callback and a few bytes of its declared body, never the rest, and reads the status
    /// line of the answer: that there is an answer at all shows Herald did not wait to read the body.</summary>
    private static async Task<int> StatusOfHeadOnlyAsync(Uri herald, string headers)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(herald.Host, herald.Port);
        var stream = tcp.GetStream();
        var head = $"POST {StatusPath}?d=1&a=1 HTTP/1.1\r\nHost: {herald.Authority}\r\nContent-Type: application/x-www-form-urlencoded\r\n{headers}\r\nMessageSid=SM1&";
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(head));
        // A server that waits for the body never answers: the test fails on this bound instead of hanging.
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var text = "";
        var buffer = new byte[1024];
        while (!text.Contains("\r\n"))
        {
            var n = await stream.ReadAsync(buffer, wait.Token);
            if (n == 0) break;
            text += System.Text.Encoding.ASCII.GetString(buffer, 0, n);
        }
        return int.Parse(text.Split(' ')[1]);
    }

    [Fact]
    public async Task A_callback_without_a_signature_is_refused_without_reading_its_body()
    {
        await using var run = await StartAsync();
        Assert.Equal(403, await StatusOfHeadOnlyAsync(run.H.BaseAddress, "Content-Length: 1000\r\n"));
    }

    [Fact]
    public async Task A_callback_declaring_10_MB_is_refused_without_reading_its_body()
    {
        await using var run = await StartAsync();
        Assert.Equal(413, await StatusOfHeadOnlyAsync(run.H.BaseAddress, "Content-Length: 10000000\r\nX-Twilio-Signature: c2lnbmF0dXJl\r\n"));
    }

    [Fact]
    public async Task A_chunked_callback_over_64_KB_is_refused_naming_the_limit()
    {
        await using var run = await StartAsync();
        var url = $"{run.H.BaseAddress.ToString().TrimEnd('/')}{StatusPath}?d=1&a=1";
        var form = "MessageSid=SM1&MessageStatus=delivered&Padding=" + new string('x', 100 * 1024);
        var content = new StreamContent(new MemoryStream(System.Text.Encoding.ASCII.GetBytes(form)));
        content.Headers.ContentType = new("application/x-www-form-urlencoded");
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
        request.Headers.TransferEncodingChunked = true;
        request.Headers.Add("X-Twilio-Signature", "c2lnbmF0dXJl");
        using var r = await run.H.CreateClient(null).SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.StatusCode);
        Assert.Contains("65536 bytes", await r.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_multipart_callback_is_refused_even_when_signed()
    {
        await using var run = await StartAsync();
        var url = $"{run.H.BaseAddress.ToString().TrimEnd('/')}{StatusPath}?d=1&a=1";
        var fields = new Dictionary<string, string> { ["MessageSid"] = "SM1", ["MessageStatus"] = "delivered" };
        var content = new MultipartFormDataContent();
        foreach (var (k, v) in fields) content.Add(new StringContent(v), k);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
        request.Headers.Add("X-Twilio-Signature", TwilioSimulator.Sign(TwilioSimulator.AuthToken, url, fields));
        using var r = await run.H.CreateClient(null).SendAsync(request);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, r.StatusCode);
        Assert.Contains("application/x-www-form-urlencoded", await r.Content.ReadAsStringAsync());
    }
}

using System.Text.Json.Nodes;
using System.Net;
using Herald.Sms;
using Herald.Tests.Api;
using Herald.Tests.Servers;

namespace Herald.Tests.Sms;

/// <summary>SMS through a real Kannel (bearerbox + smsbox) and the carrier simulator: numbers ending in 0 fail.
/// Every test runs on SQLite and on PostgreSQL.</summary>
public class KannelSmsTests
{
    private const string Secret = "test-dlr-secret-0123456789";

    /// <summary>Herald on <paramref name="herald"/> with the Kannel transport pointed at <paramref name="sendsmsUrl"/>.</summary>
    internal static Dictionary<string, string?> Settings(string herald, string sendsmsUrl) => new()
    {
        ["Herald:Urls"] = herald,
        ["Herald:Transport:Sms"] = "kannel",
        ["Herald:Sms:Kannel:SendsmsUrl"] = sendsmsUrl,
        ["Herald:Sms:Kannel:Username"] = KannelServer.SendUser,
        ["Herald:Sms:Kannel:Password"] = KannelServer.SendPassword,
        ["Herald:Sms:Kannel:From"] = "Herald",
        ["Herald:Sms:Kannel:DlrBaseUrl"] = herald,
        ["Herald:Sms:Kannel:TokenSecret"] = Secret,
    };

    // Kannel must call Herald back, so Herald listens on a port chosen before it starts.
    private static async Task<HeraldHost> StartAsync(string provider)
    {
        var kannel = await KannelServer.Shared;
        var url = $"http://127.0.0.1:{ServerHelpers.FreePort()}";
        return await HeraldHost.StartAsync(provider, settings: Settings(url, $"http://{kannel.Host}:{kannel.SendsmsPort}/cgi-bin/sendsms"));
    }

    internal static Task<JsonNode> WaitForSms(HttpClient c, long announcement, long contact, string status) =>
        c.WaitForReportAsync(announcement, r => r.StatusOf(contact, "sms") == status, $"contact {contact}'s SMS to reach {status}");

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Delivered_number_gets_a_delivered_dlr(string provider)
    {
        await using var h = await StartAsync(provider);
        var c = await h.Client.AddContactAsync(null, "+447400123451");
        var a = await h.Client.SendToAsync([c], channels: ["sms"]);
        await WaitForSms(h.Client, a, c, "delivered");
        var log = await h.Client.LogAsync(c);
        Assert.Contains(log.Entries(), e => e.Str("status") == "sent" && e.Str("detail")!.StartsWith("kannel: 0:"));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Parallel_submissions_send_each_sms_once_and_record_each(string provider)
    {
        await using var h = await StartAsync(provider);
        Assert.Equal(8, h.Service<Herald.Sms.ISmsTransport>().MaxInFlight);
        // More numbers than the 8 in flight, some failing at the carrier (ending in 0): every answer is recorded
        // against its own delivery.
        // The shared Kannel's carrier counts across tests: numbers of this test and this provider only.
        var first = provider == "sqlite" ? 10 : 50;
        var numbers = Enumerable.Range(first, 30).Select(i => $"+4474001236{i:D2}").ToArray();
        var contacts = new List<long>();
        foreach (var n in numbers) contacts.Add(await h.Client.AddContactAsync(null, n));
        var a = await h.Client.SendToAsync([.. contacts], channels: ["sms"]);
        var report = await h.Client.WaitForReportAsync(a, r => contacts.All(c => r.StatusOf(c, "sms") is "delivered" or "failed"), "every SMS settled");
        var kannel = await KannelServer.Shared;
        for (var i = 0; i < numbers.Length; i++)
        {
            Assert.Equal(1, kannel.Carrier.Submits.Count(s => s["to"] == numbers[i]));
            Assert.Equal(numbers[i].EndsWith('0') ? "failed" : "delivered", report.StatusOf(contacts[i], "sms"));
            // The DLRs can be recorded before the dispatcher's writer commits Kannel's answer: wait for it.
            var c = contacts[i];
            await ServerHelpers.WaitUntilAsync(
                async () => (await h.Client.LogAsync(c)).Entries().Count(e => e.Str("status") == "sent" && e.Str("detail")!.StartsWith("kannel: ")) == 1,
                HeraldHost.DispatchTimeout, () => $"contact {c}: one transport answer in the log");
        }
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Carrier_failure_marks_the_number_failed_and_drops_the_next_sms(string provider)
    {
        await using var h = await StartAsync(provider);
        var c = await h.Client.AddContactAsync(null, "+447400123450");
        var a = await h.Client.SendToAsync([c], channels: ["sms"]);
        await WaitForSms(h.Client, a, c, "failed");
        var log = await h.Client.LogAsync(c);
        Assert.Contains(log.Entries(), e => e.Str("status") == "failed" && e.Str("detail")!.Contains("034"));

        var next = await h.Client.SendToAsync([c], channels: ["sms"]);
        await WaitForSms(h.Client, next, c, "dropped");
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Invalid_or_missing_mobile_is_mobile_missing(string provider)
    {
        await using var h = await StartAsync(provider);
        // A UK landline is a valid number but not a mobile; the contact is kept with a warning.
        var landline = await h.Client.AddContactAsync(null, "+442079460123");
        var none = await h.Client.AddContactAsync("someone@school.test", null);
        var a = await h.Client.SendToAsync([landline, none], channels: ["sms"]);
        await WaitForSms(h.Client, a, landline, "mobile_missing");
        await WaitForSms(h.Client, a, none, "mobile_missing");
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Forged_and_duplicate_dlrs_change_nothing(string provider)
    {
        await using var h = await StartAsync(provider);
        var c = await h.Client.AddContactAsync(null, "+447400123451");
        var a = await h.Client.SendToAsync([c], channels: ["sms"]);
        var report = await WaitForSms(h.Client, a, c, "delivered");
        var delivery = report.LineOf(c, "sms")["deliveryId"]!.GetValue<long>();
        var anon = h.CreateClient(null);
        // Kannel's "submitted to SMSC" receipt (type 8) can arrive after the "delivered" one: count once both are in.
        var before = 0;
        await ServerHelpers.WaitUntilAsync(async () =>
        {
            var entries = (await h.Client.LogAsync(c)).Entries();
            before = entries.Count;
            return entries.Any(e => e.Str("detail")?.Contains("kannel DLR 8") == true);
        }, TimeSpan.FromSeconds(60), () => $"no 'submitted to SMSC' receipt in the log ({before} entries)\n{KannelServer.Shared.Result.Logs()}");

        // A forged failure (wrong token, no token) is refused and not recorded.
        var forged = await anon.GetAsync($"api/v1/sms/kannel/dlr?d={delivery}&a=1&t=AAAAAAAAAAAAAAAAAAAAAA&type=2&reply=x");
        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        Assert.Equal("application/problem+json", forged.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Forbidden, (await anon.GetAsync($"api/v1/sms/kannel/dlr?d={delivery}&a=1&type=2")).StatusCode);

        // The same delivered DLR again is a duplicate.
        var token = KannelTransport.Token(Secret, delivery, 1);
        var dup = await anon.GetAsync($"api/v1/sms/kannel/dlr?d={delivery}&a=1&t={token}&type=1");
        Assert.Equal(HttpStatusCode.OK, dup.StatusCode);

        // Unknown delivery with a valid token for it: 404.
        var unknown = await anon.GetAsync($"api/v1/sms/kannel/dlr?d=999999&a=1&t={KannelTransport.Token(Secret, 999999, 1)}&type=1");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);

        Assert.Equal("delivered", (await h.Client.ReportAsync(a)).StatusOf(c, "sms"));
        Assert.Equal(before, (await h.Client.LogAsync(c)).Entries().Count);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_late_out_of_order_dlr_is_logged_but_does_not_undo_delivered(string provider)
    {
        await using var h = await StartAsync(provider);
        var c = await h.Client.AddContactAsync(null, "+447400123452");
        var a = await h.Client.SendToAsync([c], channels: ["sms"]);
        var delivery = (await WaitForSms(h.Client, a, c, "delivered")).LineOf(c, "sms")["deliveryId"]!.GetValue<long>();
        var anon = h.CreateClient(null);
        var token = KannelTransport.Token(Secret, delivery, 1);

        // "Buffered by the SMSC" arrives after the handset's receipt: progress from the past, not a new outcome.
        var late = await anon.GetAsync($"api/v1/sms/kannel/dlr?d={delivery}&a=1&t={token}&type=4&reply=late");
        Assert.Equal(HttpStatusCode.OK, late.StatusCode);
        Assert.Equal("delivered", (await h.Client.ReportAsync(a)).StatusOf(c, "sms"));
        Assert.Contains((await h.Client.LogAsync(c)).Entries(), e => e.Str("detail")?.Contains("buffered by SMSC (late)") == true);
        // The next SMS to the number goes out: nothing marked it failed.
        var next = await h.Client.SendToAsync([c], channels: ["sms"]);
        await WaitForSms(h.Client, next, c, "delivered");
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Too_long_sms_text_is_refused_at_creation(string provider)
    {
        await using var h = await StartAsync(provider);
        var c = await h.Client.AddContactAsync(null, "+447400123451");
        var body = await h.Client.PostJson("api/v1/announcements", new
        {
            subject = "Long", text = "x", smsText = new string('a', 153 * 6 + 1), channels = new[] { "sms" }, category = "general",
            essential = false, audience = new { contactIds = new[] { c } },
        }).ExpectAsync(HttpStatusCode.BadRequest);
        Assert.Contains("needs 7 parts", body.ToJsonString());
        Assert.Contains("the maximum is 6", body.ToJsonString());
    }
}

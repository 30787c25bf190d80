using System.Net;
using Herald.Tests.Api;
using Herald.Tests.Tracking;
using MimeKit;
using Xunit.Abstractions;

namespace Herald.Tests.Faults;

/// <summary>
/// Herald killed outright while mail clients fetch open pixels: every open whose request had ended is kept; only the one
/// in flight at the kill can be lost (docs/preferences.md, "For operators: settings").
/// </summary>
[Collection(nameof(FaultTests))]
public class TrackingCrashTests(ITestOutputHelper output)
{
    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_kill_9_between_pixel_requests_keeps_every_open_whose_request_ended(string provider)
    {
        const int opens = 150;
        using var storage = await HeraldStorage.CreateAsync(provider);
        var key = await FaultSteps.CreateSchoolKeyAsync(storage);
        var settings = new Dictionary<string, string?>
        {
            ["Herald:Email:Tracking:BaseUrl"] = TrackingSteps.PublicUrl,
            ["Herald:Email:Tracking:Secret"] = "tracking-secret-for-tests-0123456789",
        };
        await using var first = await HeraldProcess.StartAsync(storage, settings, "first");
        var client = first.CreateClient(key);
        var contact = await client.AddContactAsync($"reader-{Guid.NewGuid():N}@school.example");
        var announcement = (await client.PostJson("api/v1/announcements", new
        {
            subject = "Spring letter", text = TrackingSteps.Text, html = TrackingSteps.Html, channels = new[] { "email" }, category = "general",
            audience = new { contactIds = new[] { contact } },
        }).ExpectAsync(HttpStatusCode.Created))["id"]!.GetValue<long>();
        await client.SendAsync(announcement);
        var delivery = (await client.WaitForStatusAsync(announcement, contact, "sent")).LineOf(contact)["deliveryId"]!.GetValue<long>();
        var eml = Directory.GetFiles(Path.Combine(storage.DataDirectory, "sandbox", "email"), $"{delivery}-1-*.eml").Single();
        var pixel = (await MimeMessage.LoadAsync(eml)).PixelPath()!;

        // One keep-alive connection, one request after another: a request ends only once its open is committed, so
        // when the last answer is read every earlier open is in the database, and at most the last is in flight.
        using var reader = new HttpClient { BaseAddress = first.BaseAddress };
        reader.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", TrackingSteps.Browser);
        for (var i = 0; i < opens; i++)
        {
            using var r = await reader.GetAsync(pixel.TrimStart('/'));
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }
        first.Kill();
        await first.WaitForExitAsync(TimeSpan.FromSeconds(30), "kill -9");

        await using var second = await HeraldProcess.StartAsync(storage, settings, "second");
        var tracking = (await second.CreateClient(key).ReportAsync(announcement)).TrackingOf(contact);
        var counted = tracking.N("opens") + tracking.N("machineOpens");
        output.WriteLine($"{provider}: {opens} pixel requests answered before kill -9; {counted} counted after the restart");
        Assert.InRange(counted, opens - 1, opens);
    }
}

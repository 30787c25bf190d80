using System.Net;

namespace Herald.Tests.Api;

/// <summary>One school never sees or touches another school's data.</summary>
public class TenantIsolationTests
{
    private static async Task<(HeraldHost H, HttpClient B, long Contact, long Announcement, long Delivery)> TwoSchoolsAsync(string provider)
    {
        var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var c = await h.Client.AddContactAsync("ann@school.example");
        var a = await h.Client.SendToAsync([c]);
        var d = (await h.Client.ReportAsync(a)).LineOf(c)["deliveryId"]!.GetValue<long>();
        var (_, b) = h.AddSchoolWithKey("other-" + Guid.NewGuid().ToString("N")[..8]);
        return (h, b, c, a, d);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Another_school_cannot_read_the_contact_or_its_log(string provider)
    {
        var (h, b, c, _, _) = await TwoSchoolsAsync(provider);
        await using var _h = h;
        await b.GetAsync($"api/v1/contacts/{c}").ExpectAsync(HttpStatusCode.NotFound);
        await b.GetAsync($"api/v1/contacts/{c}/log").ExpectAsync(HttpStatusCode.NotFound);
        var list = await b.GetAsync("api/v1/contacts").ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(0, list["total"]!.GetValue<long>());
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Another_school_cannot_change_or_delete_the_contact(string provider)
    {
        var (h, b, c, _, _) = await TwoSchoolsAsync(provider);
        await using var _h = h;
        await b.PutAsync($"api/v1/contacts/{c}", new StringContent("""{"role":"staff","name":"Hijacked"}""", System.Text.Encoding.UTF8, "application/json"))
            .ExpectAsync(HttpStatusCode.NotFound);
        await b.DeleteAsync($"api/v1/contacts/{c}").ExpectAsync(HttpStatusCode.NotFound);
        var contact = await h.Client.GetAsync($"api/v1/contacts/{c}").ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("Test Contact", contact.Str("name"));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Another_school_cannot_read_send_or_report_the_announcement(string provider)
    {
        var (h, b, _, a, _) = await TwoSchoolsAsync(provider);
        await using var _h = h;
        await b.GetAsync($"api/v1/announcements/{a}").ExpectAsync(HttpStatusCode.NotFound);
        await b.GetAsync($"api/v1/announcements/{a}/report").ExpectAsync(HttpStatusCode.NotFound);
        await b.PostAsync($"api/v1/announcements/{a}/send", null).ExpectAsync(HttpStatusCode.NotFound);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Another_school_cannot_post_events_to_the_delivery(string provider)
    {
        var (h, b, c, a, d) = await TwoSchoolsAsync(provider);
        await using var _h = h;
        await b.PostJson("api/v1/events", new { deliveryId = d, status = "hard_bounce" }).ExpectAsync(HttpStatusCode.NotFound);
        Assert.Equal("queued", (await h.Client.ReportAsync(a)).StatusOf(c));
        Assert.DoesNotContain((await h.Client.LogAsync(c)).Entries(), e => e.Str("status") == "hard_bounce");
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Another_school_cannot_send_to_the_contact(string provider)
    {
        var (h, b, c, _, _) = await TwoSchoolsAsync(provider);
        await using var _h = h;
        var problem = await b.PostJson("api/v1/announcements", new
        {
            subject = "x", text = "x", channels = new[] { "email" }, category = "general", audience = new { contactIds = new[] { c } },
        }).ExpectAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]!["audience.contactIds"]);
    }
}

using System.Net;

namespace Herald.Tests.Api;

/// <summary>An integrator creates announcements; mistakes are named, never guessed around.</summary>
public class AnnouncementValidationTests
{
    private static object Valid(string subject = "Sports day") => new
    {
        subject, text = "Friday.", channels = new[] { "email" }, category = "general", audience = new { all = true },
    };

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_valid_announcement_is_created_as_a_draft(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var a = await h.Client.PostJson("api/v1/announcements", Valid()).ExpectAsync(HttpStatusCode.Created);
        Assert.Equal("draft", a.Str("state"));
        var again = await h.Client.GetAsync($"api/v1/announcements/{a["id"]}").ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("Sports day", again.Str("subject"));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_missing_subject_is_refused_as_problem_json_naming_the_field(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        using var r = await h.Client.PostJson("api/v1/announcements", new
        {
            text = "Friday.", channels = new[] { "email" }, category = "general", audience = new { all = true },
        });
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        var problem = await r.ReadJsonAsync();
        Assert.NotNull(problem["errors"]!["subject"]);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_subject_longer_than_300_characters_is_refused_naming_the_field(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var problem = await h.Client.PostJson("api/v1/announcements", Valid(new string('x', 301))).ExpectAsync(HttpStatusCode.BadRequest);
        Assert.Contains("300", problem["errors"]!["subject"]![0]!.GetValue<string>());
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task An_unknown_json_field_is_refused(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        using var r = await h.Client.PostRaw("api/v1/announcements",
            """{"subject":"Trip","text":"x","channels":["email"],"category":"trips","audience":{"all":true},"essentail":true}""");
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        var list = await h.Client.GetAsync("api/v1/announcements").ExpectAsync(HttpStatusCode.OK);
        Assert.Empty(list.AsArray());
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Malformed_json_is_refused(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        using var r = await h.Client.PostRaw("api/v1/announcements", """{"subject":"Trip", "text": """);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task An_audience_naming_a_contact_that_does_not_exist_is_refused(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var problem = await h.Client.PostJson("api/v1/announcements", new
        {
            subject = "x", text = "x", channels = new[] { "email" }, category = "general", audience = new { contactIds = new[] { 999999 } },
        }).ExpectAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]!["audience.contactIds"]);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Sending_an_announcement_twice_is_a_conflict(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var contact = await h.Client.AddContactAsync("ann@school.example");
        var id = await h.Client.SendToAsync([contact]);
        await h.Client.PostAsync($"api/v1/announcements/{id}/send", null).ExpectAsync(HttpStatusCode.Conflict);
        var report = await h.Client.ReportAsync(id);
        Assert.Equal(1, report["recipients"]!["total"]!.GetValue<long>());
    }
}

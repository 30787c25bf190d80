using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using Herald.Storage;

namespace Herald.Tests.Api;

/// <summary>Every HTTP input has a bound: pages, lists, bodies; and a refusal names the field, never a .NET type.</summary>
public class InputBoundsTests
{
    /// <summary>The paged routes of one contact and one sent announcement.</summary>
    private static async Task<string[]> PagedRoutesAsync(HeraldHost h)
    {
        var contact = await h.Client.AddContactAsync("pat@school.example");
        var a = await h.Client.SendToAsync([contact]);
        return ["api/v1/contacts", $"api/v1/contacts/{contact}/log", "api/v1/announcements", $"api/v1/announcements/{a}/report"];
    }

    /// <summary>An announcement of 1.1 MB of JSON: the body limit refuses it before its fields are read.</summary>
    private static string LongAnnouncement() =>
        """{"subject":"Trip","channels":["email"],"category":"trips","audience":{"all":true},"text":""" + "\"" + new string('x', 1_100_000) + "\"}";

    private static void AssertNamesNoType(string text)
    {
        foreach (var token in new[] { "Herald.", "System.", "Microsoft.", "Int32", "Int64", "Nullable", "int?", "long?", ".NET" })
            Assert.DoesNotContain(token, text);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_page_whose_offset_would_overflow_is_refused_naming_page_on_every_paged_route(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        foreach (var route in await PagedRoutesAsync(h))
        {
            var problem = await h.Client.GetAsync($"{route}?page=2147483647&pageSize=500").ExpectAsync(HttpStatusCode.BadRequest);
            Assert.Contains("1000000", problem["errors"]!["page"]![0]!.GetValue<string>());
        }
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task The_last_allowed_page_answers_an_empty_page_on_every_paged_route(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        foreach (var route in await PagedRoutesAsync(h))
        {
            var page = await h.Client.GetAsync($"{route}?page=1000000&pageSize=500").ExpectAsync(HttpStatusCode.OK);
            var items = page is JsonArray list ? list : (page["items"] ?? page["recipients"]!["items"])!.AsArray();
            Assert.Empty(items);
        }
    }

    [Fact]
    public async Task A_page_or_page_size_that_is_not_a_number_is_refused_naming_the_field_not_a_type()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        foreach (var route in await PagedRoutesAsync(h))
        {
            using var r = await h.Client.GetAsync($"{route}?page=abc&pageSize=ten");
            var text = await r.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            var problem = JsonNode.Parse(text)!;
            Assert.Contains("'abc'", problem["errors"]!["page"]![0]!.GetValue<string>());
            Assert.Contains("'ten'", problem["errors"]!["pageSize"]![0]!.GetValue<string>());
            AssertNamesNoType(text);
        }
    }

    [Fact]
    public async Task A_page_size_over_the_maximum_is_refused_naming_the_maximum()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        var problem = await h.Client.GetAsync("api/v1/announcements?pageSize=501").ExpectAsync(HttpStatusCode.BadRequest);
        Assert.Contains("between 1 and 500", problem["errors"]!["pageSize"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task An_announcement_to_10001_contact_ids_is_refused_naming_the_field_and_the_limit()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        var problem = await h.Client.PostJson("api/v1/announcements", new
        {
            subject = "Trip", text = "Trip on Monday.", channels = new[] { "email" }, category = "trips",
            audience = new { contactIds = Enumerable.Range(1, 10_001).ToArray() },
        }).ExpectAsync(HttpStatusCode.BadRequest);
        Assert.Contains("the limit is 10000", problem["errors"]!["audience.contactIds"]![0]!.GetValue<string>());
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task An_announcement_to_10000_contacts_is_created_and_sent(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var csv = new StringBuilder("external_id,role,name,email,mobile,groups,opt_outs,digest\n");
        for (var i = 0; i < 10_000; i++) csv.Append($"p{i},guardian,Parent {i},parent{i}@school.example,,,,no\n");
        await h.Client.PostCsv(csv.ToString()).ExpectAsync(HttpStatusCode.OK);
        long[] ids;
        using (var c = h.Service<Database>().Open())
            ids = c.Query<long>("SELECT id FROM contacts WHERE school_id = @s", new { s = h.School.Id }).ToArray();
        Assert.Equal(10_000, ids.Length);

        var a = await h.Client.AddAnnouncementAsync(ids);
        var sent = await h.Client.SendAsync(a);
        Assert.Equal(10_000, sent["recipients"]!.GetValue<int>());
    }

    [Fact]
    public async Task An_announcement_to_a_missing_contact_among_10000_ids_names_that_contact()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        var real = await h.Client.AddContactAsync("pat@school.example");
        var ids = new[] { real }.Concat(Enumerable.Range(1, 9_999).Select(i => real + i)).ToArray();
        var problem = await h.Client.PostJson("api/v1/announcements", new
        {
            subject = "Trip", text = "Trip on Monday.", channels = new[] { "email" }, category = "trips", audience = new { contactIds = ids },
        }).ExpectAsync(HttpStatusCode.BadRequest);
        Assert.Equal($"contact {real + 1} does not exist", problem["errors"]!["audience.contactIds"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task An_announcement_to_101_groups_is_refused_naming_the_field_and_the_limit()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        var problem = await h.Client.PostJson("api/v1/announcements", new
        {
            subject = "Trip", text = "Trip on Monday.", channels = new[] { "email" }, category = "trips",
            audience = new { groups = Enumerable.Range(1, 101).Select(i => $"class-{i}").ToArray() },
        }).ExpectAsync(HttpStatusCode.BadRequest);
        Assert.Contains("the limit is 100", problem["errors"]!["audience.groups"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task A_contact_in_101_groups_is_refused_naming_the_field_and_the_limit()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        var problem = await h.Client.PostJson("api/v1/contacts", new
        {
            externalId = "x1", role = "guardian", name = "Pat", groups = Enumerable.Range(1, 101).Select(i => $"club-{i}").ToArray(),
        }).ExpectAsync(HttpStatusCode.BadRequest);
        Assert.Contains("the limit is 100", problem["errors"]!["groups"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task A_json_body_over_1_MB_is_refused_with_413_naming_the_limit()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        var body = LongAnnouncement();
        using var r = await h.Client.PostRaw("api/v1/announcements", body);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.StatusCode);
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        Assert.Contains("1048576 bytes", await r.Content.ReadAsStringAsync());
        Assert.Empty((await h.Client.GetAsync("api/v1/announcements").ExpectAsync(HttpStatusCode.OK)).AsArray());
    }

    /// <summary>A body without a declared length cannot be refused up front: this is the limit applied while the minimal
    /// API endpoint reads it (Kestrel's server-wide limit is far larger).</summary>
    [Fact]
    public async Task A_chunked_json_body_over_1_MB_is_refused_with_413_naming_the_limit()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        var body = Encoding.UTF8.GetBytes(LongAnnouncement());
        var content = new StreamContent(new MemoryStream(body));
        content.Headers.ContentType = new("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/announcements") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        using var r = await h.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.StatusCode);
        Assert.Contains("1048576 bytes", await r.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_csv_import_over_the_json_limit_is_taken_under_its_own_limit()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        var csv = new StringBuilder("external_id,role,name,email,mobile,groups,opt_outs,digest\n");
        for (var i = 0; csv.Length < 1_500_000; i++) csv.Append($"g{i},guardian,Guardian number {i} of a long list,guardian{i}@school.example,,,,no\n");
        var answer = await h.Client.PostCsv(csv.ToString()).ExpectAsync(HttpStatusCode.OK);
        Assert.True(answer["imported"]!.GetValue<int>() > 10_000);
    }

    /// <summary>Malformed requests on several routes: each answer is a 400 (415 for a body that is not JSON) naming the
    /// field or the JSON path, and never a .NET type or namespace.</summary>
    [Theory]
    [InlineData("POST", "api/v1/announcements", """{"subject": 5}""", "application/json", "subject")]
    [InlineData("POST", "api/v1/announcements", """{"subject": "Trip", "audience": {"contactIds": ["x"]}}""", "application/json", "audience.contactIds[0]")]
    [InlineData("POST", "api/v1/announcements", """{"subject": "Trip", "audience": "everyone"}""", "application/json", "audience")]
    [InlineData("POST", "api/v1/announcements", """{"subject": "Trip", "colour": "red"}""", "application/json", "colour")]
    [InlineData("POST", "api/v1/announcements", """{"subject": "Trip",""", "application/json", "body")]
    [InlineData("POST", "api/v1/contacts", """[1, 2]""", "application/json", "body")]
    [InlineData("POST", "api/v1/contacts", """{"externalId": "x", "role": "guardian", "name": "X", "digest": "often"}""", "application/json", "digest")]
    [InlineData("POST", "api/v1/contacts", """{"externalId": "x", "digest": 5}""", "application/json", "digest")]
    [InlineData("POST", "api/v1/events", """{"deliveryId": "abc"}""", "application/json", "deliveryId")]
    [InlineData("POST", "api/v1/events", "", "application/json", "body")]
    [InlineData("POST", "api/v1/addresses/reset", """{"school": "x"}""", "application/json", "school")]
    [InlineData("POST", "api/v1/contacts", "externalId=x", "text/plain", null)]
    [InlineData("GET", "api/v1/contacts?pageSize=1e3", null, null, "pageSize")]
    [InlineData("GET", "api/v1/sms/kannel/dlr?d=1&a=1&t=x&type=abc", null, null, "type")]
    public async Task A_malformed_request_is_refused_naming_the_field_and_no_dotnet_type(string method, string url, string? body, string? contentType, string? field)
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, contentType!);
        // Resetting an address is for operator keys; the other routes act for the school's key.
        using var r = await (url.Contains("addresses") ? h.Operator : h.Client).SendAsync(request);
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == (field is null ? HttpStatusCode.UnsupportedMediaType : HttpStatusCode.BadRequest), $"{(int)r.StatusCode}: {text}");
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        AssertNamesNoType(text);
        if (field is not null) Assert.NotNull(JsonNode.Parse(text)!["errors"]![field]);
    }
}

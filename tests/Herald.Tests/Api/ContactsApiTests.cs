using System.Net.Http.Json;
using System.Net;

namespace Herald.Tests.Api;

/// <summary>Staff fix a contact's profile through the API.</summary>
public class ContactsApiTests
{
    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_created_contact_can_be_read_back(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var id = await h.Client.AddContactAsync("ann@School.Example", "07400 123456", externalId: "s-1", name: "Ann Lee", groups: ["Year-7"]);
        var c = await h.Client.GetAsync($"api/v1/contacts/{id}").ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("s-1", c.Str("externalId"));
        Assert.Equal("Ann Lee", c.Str("name"));
        Assert.Equal("+447400123456", c.Str("mobile"));
        Assert.Equal(["year-7"], c["groups"]!.AsArray().Select(g => g!.GetValue<string>()));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_contact_without_a_name_is_refused_naming_the_field(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var problem = await h.Client.PostJson("api/v1/contacts", new { externalId = "s-1", role = "student" }).ExpectAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]!["name"]);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_second_contact_with_the_same_external_id_is_a_conflict(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        await h.Client.AddContactAsync("ann@school.example", externalId: "s-1");
        await h.Client.PostJson("api/v1/contacts", new { externalId = "s-1", role = "student", name = "Other" }).ExpectAsync(HttpStatusCode.Conflict);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_malformed_email_is_kept_with_a_warning(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var r = await h.Client.PostJson("api/v1/contacts", new { externalId = "s-1", role = "student", name = "Ann", email = "ann@localhost" })
            .ExpectAsync(HttpStatusCode.Created);
        Assert.Equal("email", Assert.Single(r["warnings"]!.AsArray())!.Str("field"));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Updating_a_contact_replaces_its_profile(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var id = await h.Client.AddContactAsync("ann@school.example", externalId: "s-1");
        await h.Client.PutAsJsonAsync($"api/v1/contacts/{id}", new { role = "staff", name = "Ann Teacher", email = "ann.t@school.example" }, HeraldHost.Json)
            .ExpectAsync(HttpStatusCode.OK);
        var c = await h.Client.GetAsync($"api/v1/contacts/{id}").ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(("staff", "Ann Teacher", "ann.t@school.example", "s-1"), (c.Str("role"), c.Str("name"), c.Str("email"), c.Str("externalId")));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Changing_the_external_id_of_a_contact_is_refused(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var id = await h.Client.AddContactAsync("ann@school.example", externalId: "s-1");
        var problem = await h.Client.PutAsJsonAsync($"api/v1/contacts/{id}", new { externalId = "s-2", role = "staff", name = "Ann" }, HeraldHost.Json)
            .ExpectAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]!["externalId"]);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_deleted_contact_is_gone(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var id = await h.Client.AddContactAsync("ann@school.example");
        await h.Client.DeleteAsync($"api/v1/contacts/{id}").ExpectAsync(HttpStatusCode.NoContent);
        await h.Client.GetAsync($"api/v1/contacts/{id}").ExpectAsync(HttpStatusCode.NotFound);
        await h.Client.DeleteAsync($"api/v1/contacts/{id}").ExpectAsync(HttpStatusCode.NotFound);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Contacts_are_listed_page_by_page_with_the_total(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var ids = new List<long>();
        for (var i = 0; i < 5; i++) ids.Add(await h.Client.AddContactAsync($"c{i}@school.example"));
        var seen = new List<long>();
        for (var page = 1; page <= 3; page++)
        {
            var p = await h.Client.GetAsync($"api/v1/contacts?page={page}&pageSize=2").ExpectAsync(HttpStatusCode.OK);
            Assert.Equal(5, p["total"]!.GetValue<long>());
            seen.AddRange(p["items"]!.AsArray().Select(c => c!["id"]!.GetValue<long>()));
        }
        Assert.Equal(ids.Order(), seen.Order());
        Assert.Equal(5, seen.Distinct().Count());
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_page_size_of_zero_is_refused_naming_the_parameter(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var problem = await h.Client.GetAsync("api/v1/contacts?pageSize=0").ExpectAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]!["pageSize"]);
    }
}

using System.Net;
using System.Text.Json.Nodes;

namespace Herald.Tests.Api;

/// <summary>Opt-out changes made by the school (contacts API, CSV import) are events in the contact's full log, with their
/// source and the key that made them (docs/preferences.md, "Where opt-outs come from").</summary>
public class OptOutLogTests
{
    private static async Task<List<JsonNode>> PreferencesAsync(HttpClient client, long contact) =>
        (await client.LogAsync(contact)).Entries().Where(e => e!["deliveryId"] is null).Select(e => e!).ToList();

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Each_opt_out_the_contacts_api_adds_or_removes_is_one_api_event_with_the_key(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var ext = "ext-" + Guid.NewGuid().ToString("N")[..10];
        var contact = await h.Client.AddContactAsync("ann@example.org", optOuts: ["trips"], externalId: ext);

        await h.Client.PutAsync($"api/v1/contacts/{contact}", JsonContent(new
        {
            externalId = ext, role = "guardian", name = "Ann", email = "ann@example.org", optOuts = new[] { "sms:trips", "clubs" },
        })).ExpectAsync(HttpStatusCode.OK);
        // The same opt-outs again: nothing changes, nothing is logged.
        await h.Client.PutAsync($"api/v1/contacts/{contact}", JsonContent(new
        {
            externalId = ext, role = "guardian", name = "Ann", email = "ann@example.org", optOuts = new[] { "clubs", "sms:trips" },
        })).ExpectAsync(HttpStatusCode.OK);

        var log = await PreferencesAsync(h.Client, contact);
        Assert.Equal([
            "opted out of 'trips' on every channel through the contacts API",
            "opted back in to 'trips' on every channel through the contacts API",
            "opted out of 'clubs' on every channel through the contacts API",
            "opted out of 'trips' by sms through the contacts API",
        ], log.Select(e => e.Str("detail")));
        Assert.All(log, e => Assert.Equal("api", e.Str("source")));
        Assert.All(log, e => Assert.Equal("test", e["key"]?["name"]?.GetValue<string>()));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task An_opt_out_set_by_a_csv_import_is_an_import_event_and_importing_the_same_file_again_logs_nothing(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var ext = "csv-" + Guid.NewGuid().ToString("N")[..10];
        var csv = $"external_id,role,name,email,mobile,groups,opt_outs,digest\n{ext},guardian,Bo,bo@example.org,,,trips;email:clubs,no\n";

        await h.Client.PostCsv(csv).ExpectAsync(HttpStatusCode.OK);
        await h.Client.PostCsv(csv).ExpectAsync(HttpStatusCode.OK);

        var contact = (await h.Client.GetAsync("api/v1/contacts").ExpectAsync(HttpStatusCode.OK))["items"]!.AsArray()
            .Single(c => c!["externalId"]!.GetValue<string>() == ext)!["id"]!.GetValue<long>();
        var log = await PreferencesAsync(h.Client, contact);
        Assert.Equal(["opted out of 'clubs' by email by a contact import", "opted out of 'trips' on every channel by a contact import"],
            log.Select(e => e.Str("detail")));
        Assert.All(log, e => Assert.Equal("import", e.Str("source")));
    }

    private static StringContent JsonContent(object body) =>
        new(System.Text.Json.JsonSerializer.Serialize(body, HeraldHost.Json), System.Text.Encoding.UTF8, "application/json");
}

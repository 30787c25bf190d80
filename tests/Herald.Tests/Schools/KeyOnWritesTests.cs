using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using Herald.Cli;
using Herald.Schools;
using Herald.Storage;
using Herald.Tests.Api;

namespace Herald.Tests.Schools;

/// <summary>Every write a key makes records the key's id: "which key did this" has an answer for contacts, imports,
/// sends, resends, events and resets; the full log names the key of each event.</summary>
public class KeyOnWritesTests
{
    /// <summary>A second key of the host's school, and a client that uses it.</summary>
    private static (long Id, HttpClient Client) OtherKey(HeraldHost h, string name = "office")
    {
        var key = h.Service<SchoolStore>().CreateKey(h.School.Id, name, false, false, null);
        return (key.Id, h.CreateClient(key.Key));
    }

    private static long KeyIdOf(HeraldHost h, string key) => h.Service<SchoolStore>().Authenticate(key)!.KeyId;

    private static T Scalar<T>(HeraldHost h, string sql, object args)
    {
        using var c = h.Service<Database>().Open();
        return c.ExecuteScalar<T>(sql, args)!;
    }

    private static Task Resend(HttpClient c, long announcementId, string idempotencyKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"api/v1/announcements/{announcementId}/resend")
        {
            Content = JsonContent.Create(new { statuses = new[] { "email_missing" }, by = "office" }, options: HeraldHost.Json),
        };
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        return c.SendAsync(request).ExpectAsync(HttpStatusCode.OK);
    }

    private static JsonNode? KeyOf(JsonNode? entry) => entry?["key"];

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_contact_records_the_key_that_created_it_and_the_key_that_last_changed_it(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var contact = await h.Client.AddContactAsync("ann@school.example", externalId: "s1");
        var (office, client) = OtherKey(h);
        await client.PutAsync($"api/v1/contacts/{contact}", JsonContent.Create(new { role = "guardian", name = "Ann", email = "ann@school.example" }, options: HeraldHost.Json))
            .ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(KeyIdOf(h, h.SchoolKey), Scalar<long?>(h, "SELECT created_key_id FROM contacts WHERE id = @contact", new { contact }));
        Assert.Equal(office, Scalar<long?>(h, "SELECT updated_key_id FROM contacts WHERE id = @contact", new { contact }));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task An_import_records_its_key_on_every_contact_it_writes(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var (office, client) = OtherKey(h, "mis-sync");
        await client.PostCsv("external_id,role,name,email\ns1,student,Ann,ann@school.example\ns2,student,Bo,bo@school.example\n").ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(2, Scalar<long>(h, "SELECT COUNT(*) FROM contacts WHERE school_id = @s AND created_key_id = @office AND updated_key_id = @office",
            new { s = h.School.Id, office }));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task An_announcement_records_the_key_that_created_it_and_the_key_that_sent_it(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var contact = await h.Client.AddContactAsync("ann@school.example");
        var a = await h.Client.AddAnnouncementAsync([contact]);
        var (office, client) = OtherKey(h);
        await client.SendAsync(a);
        Assert.Equal(KeyIdOf(h, h.SchoolKey), Scalar<long?>(h, "SELECT created_key_id FROM announcements WHERE id = @a", new { a }));
        Assert.Equal(office, Scalar<long?>(h, "SELECT sent_key_id FROM announcements WHERE id = @a", new { a }));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task The_log_names_the_key_that_sent_each_decision(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var contact = await h.Client.AddContactAsync("ann@school.example");
        var a = await h.Client.AddAnnouncementAsync([contact]);
        var (office, client) = OtherKey(h, "office");
        await client.SendAsync(a);
        var decision = Assert.Single((await h.Client.LogAsync(contact)).Entries(), e => e.Str("source") == "decision");
        Assert.Equal((office, "office"), (KeyOf(decision)!["id"]!.GetValue<long>(), KeyOf(decision).Str("name")));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_resend_records_its_key_on_the_request_and_on_its_decisions(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var contact = await h.Client.AddContactAsync(null);
        var a = await h.Client.SendToAsync([contact]);
        var (office, client) = OtherKey(h, "office");
        await Resend(client, a, "resend-1");
        Assert.Equal(office, Scalar<long?>(h, "SELECT key_id FROM resend_requests WHERE idempotency_key = 'resend-1' AND school_id = @s", new { s = h.School.Id }));
        var log = (await h.Client.LogAsync(contact)).Entries();
        var resent = Assert.Single(log, e => e.Str("source") == "decision" && e!["attempt"]!.GetValue<int>() == 2);
        Assert.Equal(office, KeyOf(resent)!["id"]!.GetValue<long>());
        var first = Assert.Single(log, e => e.Str("source") == "decision" && e!["attempt"]!.GetValue<int>() == 1);
        Assert.Equal(KeyIdOf(h, h.SchoolKey), KeyOf(first)!["id"]!.GetValue<long>());
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task An_event_posted_with_a_key_shows_that_key_in_the_log(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var contact = await h.Client.AddContactAsync("ann@school.example");
        var a = await h.Client.SendToAsync([contact]);
        var delivery = (await h.Client.ReportAsync(a)).LineOf(contact)["deliveryId"]!.GetValue<long>();
        var (office, client) = OtherKey(h, "crm-webhook");
        await client.PostJson("api/v1/events", new { deliveryId = delivery, status = "hard_bounce" }).ExpectAsync(HttpStatusCode.OK);
        var posted = Assert.Single((await h.Client.LogAsync(contact)).Entries(), e => e.Str("source") == "api");
        Assert.Equal((office, "crm-webhook"), (KeyOf(posted)!["id"]!.GetValue<long>(), KeyOf(posted).Str("name")));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_reset_records_the_operator_key_in_the_address_history_and_the_log(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var contact = await h.Client.AddContactAsync("ann@school.example");
        var a = await h.Client.SendToAsync([contact]);
        var delivery = (await h.Client.ReportAsync(a)).LineOf(contact)["deliveryId"]!.GetValue<long>();
        await h.Client.PostJson("api/v1/events", new { deliveryId = delivery, status = "hard_bounce" }).ExpectAsync(HttpStatusCode.OK);
        await h.Operator.PostJson("api/v1/addresses/reset", new { address = "ann@school.example", by = "maria", why = "mailbox fixed", school = h.School.Id })
            .ExpectAsync(HttpStatusCode.OK);
        var support = KeyIdOf(h, h.OperatorKey);
        Assert.Equal(support, Scalar<long?>(h, "SELECT key_id FROM address_history WHERE school_id = @s AND change = 'reset'", new { s = h.School.Id }));
        var reset = Assert.Single((await h.Client.LogAsync(contact)).Entries(), e => e.Str("source") == "support");
        Assert.Equal((support, "support"), (KeyOf(reset)!["id"]!.GetValue<long>(), KeyOf(reset).Str("name")));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Herald_own_events_name_no_key(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider);
        var contact = await h.Client.AddContactAsync("ann@school.example");
        var a = await h.Client.SendToAsync([contact]);
        await h.Client.WaitForStatusAsync(a, contact, "sent");
        var transport = Assert.Single((await h.Client.LogAsync(contact)).Entries(), e => e.Str("source") == "transport");
        Assert.Null(KeyOf(transport));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task What_the_command_line_imports_records_no_key(string provider)
    {
        var storage = await HeraldStorage.CreateAsync(provider);
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false, storage: storage);
        var file = Path.Combine(storage.DataDirectory, "contacts.csv");
        await File.WriteAllTextAsync(file, "external_id,role,name,email\ncli1,student,Ann,ann@school.example\n");
        Assert.Equal(0, await HeraldCli.RunAsync(["contacts", "import", "--school", h.School.Slug, file], new StringWriter(), new StringWriter(), storage.Settings));
        Assert.Equal(1, Scalar<long>(h, "SELECT COUNT(*) FROM contacts WHERE external_id = 'cli1' AND created_key_id IS NULL AND updated_key_id IS NULL", new { }));
    }
}

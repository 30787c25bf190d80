using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Herald.Tests.Api;

namespace Herald.Tests.Resend;

/// <summary>Resending after a fix, end to end through the API with the sandbox transport.</summary>
public class ResendTests
{
    private static Task<JsonNode> Resend(HttpClient c, long announcementId, object body, string? key = null, HttpStatusCode expect = HttpStatusCode.OK)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"api/v1/announcements/{announcementId}/resend")
        {
            Content = JsonContent.Create(body, options: HeraldHost.Json),
        };
        if (key is not null) request.Headers.Add("Idempotency-Key", key);
        return c.SendAsync(request).ExpectAsync(expect);
    }

    private static Task UpdateEmail(HttpClient c, long contactId, string email) =>
        c.PutAsync($"api/v1/contacts/{contactId}", JsonContent.Create(new { role = "guardian", name = "Test Contact", email }, options: HeraldHost.Json))
            .ExpectAsync(HttpStatusCode.OK);

    private static int EmlFiles(HeraldHost h, long deliveryId) =>
        Directory.Exists(h.SandboxEmailFolder) ? Directory.GetFiles(h.SandboxEmailFolder, $"{deliveryId}-*.eml").Length : 0;

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Fixing_a_missing_email_then_resending_to_email_missing_sends_it(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider);
        var contact = await h.Client.AddContactAsync(email: null);
        var a = await h.Client.SendToAsync([contact]);
        Assert.Equal("email_missing", (await h.Client.ReportAsync(a)).StatusOf(contact));

        await UpdateEmail(h.Client, contact, "fixed@example.org");
        var answer = await Resend(h.Client, a, new { statuses = new[] { "email_missing" }, by = "office" });
        Assert.Equal(1, answer["resent"]!.GetValue<int>());

        var report = await h.Client.WaitForStatusAsync(a, contact, "sent");
        var line = report.LineOf(contact);
        Assert.Equal("fixed@example.org", line.Str("address"));
        Assert.Equal(2, line["attempt"]!.GetValue<int>());
        Assert.Equal("office", line.Str("resentBy"));
        Assert.Equal(0, report.Count("email_missing"));
        Assert.Equal(1, report.Count("sent"));
        var log = (await h.Client.LogAsync(contact)).Entries();
        Assert.Equal(["email_missing", "queued", "sent"], log.Select(e => e.Str("status")).ToList());
        Assert.Equal([1, 2, 2], log.Select(e => e!["attempt"]!.GetValue<int>()).ToList());
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_failed_address_stays_dropped_on_resend_until_support_resets_it(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider);
        var contact = await h.Client.AddContactAsync("pat@example.org");
        var first = await h.Client.SendToAsync([contact]);
        var delivery = (await h.Client.WaitForStatusAsync(first, contact, "sent")).LineOf(contact)["deliveryId"]!.GetValue<long>();
        await h.Client.PostJson("api/v1/events", new { deliveryId = delivery, status = "hard_bounce", detail = "550 5.1.1 user unknown" }).ExpectAsync(HttpStatusCode.OK);

        var second = await h.Client.SendToAsync([contact]);
        Assert.Equal("dropped", (await h.Client.ReportAsync(second)).StatusOf(contact));
        await Resend(h.Client, second, new { statuses = new[] { "dropped" }, by = "office" });
        Assert.Equal("dropped", (await h.Client.ReportAsync(second)).StatusOf(contact));

        await h.Operator.PostJson("api/v1/addresses/reset", new { address = "pat@example.org", by = "support-anna", why = "recipient fixed the mailbox", school = h.School.Id })
            .ExpectAsync(HttpStatusCode.OK);
        await Resend(h.Client, second, new { statuses = new[] { "dropped" }, by = "office" });
        var report = await h.Client.WaitForStatusAsync(second, contact, "sent");
        Assert.Equal(3, report.LineOf(contact)["attempt"]!.GetValue<int>());
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_late_bounce_of_the_first_attempt_does_not_overrule_the_resend(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider);
        var contact = await h.Client.AddContactAsync("old@example.org");
        var a = await h.Client.SendToAsync([contact]);
        var delivery = (await h.Client.WaitForStatusAsync(a, contact, "sent")).LineOf(contact)["deliveryId"]!.GetValue<long>();
        await h.Client.PostJson("api/v1/events", new { deliveryId = delivery, status = "rejected", detail = "550 5.7.1 blocked by policy", attempt = 1 })
            .ExpectAsync(HttpStatusCode.OK);
        await UpdateEmail(h.Client, contact, "new@example.org");
        await Resend(h.Client, a, new { statuses = new[] { "rejected" }, by = "office" });
        await h.Client.WaitForStatusAsync(a, contact, "sent");
        await h.Client.PostJson("api/v1/events", new { deliveryId = delivery, status = "delivered", detail = "resend arrived", attempt = 2 })
            .ExpectAsync(HttpStatusCode.OK);

        // The old address's bounce arrives after the resend was delivered.
        var answer = await h.Client.PostJson("api/v1/events",
            new { deliveryId = delivery, status = "hard_bounce", detail = "550 5.1.1 old@example.org: user unknown", attempt = 1 }).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("logged", answer.Str("result"));
        Assert.Equal("delivered", (await h.Client.ReportAsync(a)).StatusOf(contact));
        var bounce = (await h.Client.LogAsync(contact)).Entries().Single(e => e.Str("status") == "hard_bounce");
        Assert.Equal(1, bounce!["attempt"]!.GetValue<int>());
        Assert.Contains("about attempt 1", bounce.Str("detail"));
        // The corrected address is not failed by the old one's bounce: the next announcement goes out.
        var next = await h.Client.SendToAsync([contact]);
        await h.Client.WaitForStatusAsync(next, contact, "sent");

        await h.Client.PostJson("api/v1/events", new { deliveryId = delivery, status = "delivered", attempt = 0 })
            .ExpectAsync(HttpStatusCode.BadRequest);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task The_same_idempotency_key_twice_resends_once(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider);
        var contact = await h.Client.AddContactAsync(email: null);
        var a = await h.Client.SendToAsync([contact]);
        await UpdateEmail(h.Client, contact, "twice@example.org");
        var body = new { statuses = new[] { "email_missing" }, by = "office" };

        var first = await Resend(h.Client, a, body, key: "click-1");
        var second = await Resend(h.Client, a, body, key: "click-1");
        Assert.Equal(1, first["resent"]!.GetValue<int>());
        Assert.True(second["replayed"]!.GetValue<bool>());

        var report = await h.Client.WaitForStatusAsync(a, contact, "sent");
        var delivery = report.LineOf(contact)["deliveryId"]!.GetValue<long>();
        Assert.Equal(1, EmlFiles(h, delivery));
        Assert.Equal(2, report.LineOf(contact)["attempt"]!.GetValue<int>());
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Two_overlapping_bulk_resends_claim_each_recipient_once(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider);
        var contacts = new List<long>();
        for (var i = 0; i < 15; i++) contacts.Add(await h.Client.AddContactAsync(email: null));
        var a = await h.Client.SendToAsync(contacts.ToArray());
        for (var i = 0; i < contacts.Count; i++) await UpdateEmail(h.Client, contacts[i], $"c{i}@example.org");

        var body = new { statuses = new[] { "email_missing" }, by = "office" };
        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Resend(h.Client, a, body)));
        Assert.Equal(contacts.Count, answers.Sum(x => x["resent"]!.GetValue<int>()));

        var report = await h.Client.WaitForReportAsync(a, r => r.Count("sent") == contacts.Count, "every recipient sent");
        foreach (var line in report.Lines())
        {
            Assert.Equal(2, line!["attempt"]!.GetValue<int>());
            Assert.Equal(1, EmlFiles(h, line["deliveryId"]!.GetValue<long>()));
        }
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_dry_run_says_what_the_real_resend_then_does(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider);
        var missing = await h.Client.AddContactAsync(email: null);
        var reached = await h.Client.AddContactAsync("reached@example.org");
        var optedOut = await h.Client.AddContactAsync("oo@example.org", optOuts: ["general"]);
        var a = await h.Client.SendToAsync([missing, reached, optedOut]);
        await h.Client.WaitForStatusAsync(a, reached, "sent");
        await UpdateEmail(h.Client, missing, "now@example.org");
        var body = new { statuses = new[] { "email_missing", "sent", "opted_out" }, by = "office" };

        var dry = await Resend(h.Client, a, new { body.statuses, body.by, dryRun = true });
        Assert.Equal("sent", (await h.Client.ReportAsync(a)).StatusOf(reached));
        Assert.Equal("email_missing", (await h.Client.ReportAsync(a)).StatusOf(missing));
        var real = await Resend(h.Client, a, body);

        Assert.True(dry["dryRun"]!.GetValue<bool>());
        Assert.Equal(real["resent"]!.GetValue<int>(), dry["resent"]!.GetValue<int>());
        Assert.Equal(real["outcomes"]!.ToJsonString(), dry["outcomes"]!.ToJsonString());
        Assert.Equal(real["skipped"]!.ToJsonString(), dry["skipped"]!.ToJsonString());
        Assert.Contains("already reached", dry["skipped"]!.AsArray().Single()!.Str("why"));
        Assert.Equal(1, dry["outcomes"]!["email"]!["queued"]!.GetValue<int>());
        Assert.Equal(1, dry["outcomes"]!["email"]!["opted_out"]!.GetValue<int>());
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_forced_resend_to_an_opened_recipient_is_logged_as_forced(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider);
        var contact = await h.Client.AddContactAsync("opens@simulator.herald.invalid");
        var a = await h.Client.SendToAsync([contact]);
        await h.Client.WaitForStatusAsync(a, contact, "opened");

        var unforced = await Resend(h.Client, a, new { contactIds = new[] { contact }, by = "office" });
        Assert.Equal(0, unforced["resent"]!.GetValue<int>());
        var forced = await Resend(h.Client, a, new { contactIds = new[] { contact }, by = "office", force = true });
        Assert.Equal(1, forced["resent"]!.GetValue<int>());

        await h.Client.WaitForReportAsync(a, r => r.LineOf(contact)["attempt"]!.GetValue<int>() == 2 && r.StatusOf(contact) == "opened", "the forced attempt to be opened");
        var log = (await h.Client.LogAsync(contact)).Entries();
        Assert.Contains(log, e => e.Str("detail")?.StartsWith("forced resend by office") == true);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_support_reset_can_resend_what_was_dropped_in_one_step(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider);
        var contact = await h.Client.AddContactAsync("lee@example.org");
        var first = await h.Client.SendToAsync([contact]);
        var delivery = (await h.Client.WaitForStatusAsync(first, contact, "sent")).LineOf(contact)["deliveryId"]!.GetValue<long>();
        await h.Client.PostJson("api/v1/events", new { deliveryId = delivery, status = "spam", detail = "ARF abuse" }).ExpectAsync(HttpStatusCode.OK);
        var second = await h.Client.SendToAsync([contact]);
        Assert.Equal("dropped", (await h.Client.ReportAsync(second)).StatusOf(contact));

        var answer = await h.Operator.PostJson("api/v1/addresses/reset",
            new { address = "lee@example.org", by = "support-anna", why = "complaint withdrawn", resendDroppedDays = 7, school = h.School.Id }).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(1, answer["resends"]!.AsArray().Single()!["resent"]!.GetValue<int>());
        await h.Client.WaitForStatusAsync(second, contact, "sent");
        Assert.Equal("spam", (await h.Client.ReportAsync(first)).StatusOf(contact));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_resend_without_statuses_or_contacts_is_refused_with_the_field_named(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider);
        var contact = await h.Client.AddContactAsync(email: null);
        var a = await h.Client.SendToAsync([contact]);
        var problem = await Resend(h.Client, a, new { by = "office" }, expect: HttpStatusCode.BadRequest);
        Assert.Contains("statuses", problem.ToJsonString());
        var bad = await Resend(h.Client, a, new { statuses = new[] { "lost" }, by = "office" }, expect: HttpStatusCode.BadRequest);
        Assert.Contains("'lost' is not a status", bad.Str("detail"));
        Assert.Equal("email_missing", (await h.Client.ReportAsync(a)).StatusOf(contact));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task The_same_idempotency_key_on_another_announcement_is_a_new_request(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var contact = await h.Client.AddContactAsync(email: null);
        var first = await h.Client.SendToAsync([contact]);
        var second = await h.Client.SendToAsync([contact]);
        var body = new { statuses = new[] { "email_missing" }, by = "office" };

        await Resend(h.Client, first, body, key: "retry-1");
        var other = await Resend(h.Client, second, body, key: "retry-1");
        Assert.Equal(second, other["announcementId"]!.GetValue<long>());
        Assert.False(other["replayed"]!.GetValue<bool>());
        Assert.Equal(1, other["resent"]!.GetValue<int>());
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task The_same_idempotency_key_from_another_api_key_is_a_new_request(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var contact = await h.Client.AddContactAsync(email: null);
        var a = await h.Client.SendToAsync([contact]);
        var otherKey = h.CreateClient(h.Service<Herald.Schools.SchoolStore>().CreateKey(h.School.Id, "office-pc", false));
        var body = new { statuses = new[] { "email_missing" }, by = "office" };

        await Resend(h.Client, a, body, key: "retry-1");
        var other = await Resend(otherKey, a, body, key: "retry-1");
        Assert.False(other["replayed"]!.GetValue<bool>());
        Assert.Equal(1, other["resent"]!.GetValue<int>());
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task The_same_idempotency_key_with_another_body_is_refused_naming_the_header(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var contact = await h.Client.AddContactAsync(email: null);
        var a = await h.Client.SendToAsync([contact]);

        await Resend(h.Client, a, new { statuses = new[] { "email_missing" }, by = "office" }, key: "retry-1");
        var problem = await Resend(h.Client, a, new { contactIds = new[] { contact }, by = "office" }, key: "retry-1",
            expect: HttpStatusCode.UnprocessableEntity);
        Assert.NotNull(problem["errors"]!["Idempotency-Key"]);
        Assert.Contains("different resend", problem.Str("detail"));
        var log = (await h.Client.LogAsync(contact)).Entries();
        Assert.Equal([1, 2], log.Select(e => e!["attempt"]!.GetValue<int>()).ToList());
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Resend_with_40000_contact_ids_is_refused_naming_the_limit(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var contact = await h.Client.AddContactAsync(email: null);
        var a = await h.Client.SendToAsync([contact]);
        var ids = Enumerable.Range(0, 40_000).Select(i => contact + i).ToArray();
        var problem = await Resend(h.Client, a, new { contactIds = ids, by = "office" }, expect: HttpStatusCode.BadRequest);
        Assert.Contains("the limit is 10000", problem["errors"]!["contactIds"]![0]!.GetValue<string>());
        Assert.Single((await h.Client.LogAsync(contact)).Entries());
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Resend_with_10000_contact_ids_resends_the_listed_recipients(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var contact = await h.Client.AddContactAsync(email: null);
        var a = await h.Client.SendToAsync([contact]);
        var ids = Enumerable.Range(0, 10_000).Select(i => contact + i).ToArray();
        var answer = await Resend(h.Client, a, new { contactIds = ids, by = "office" });
        Assert.Equal(1, answer["resent"]!.GetValue<int>());
    }
}

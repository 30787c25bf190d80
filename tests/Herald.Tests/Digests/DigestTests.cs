using System.Net;
using System.Text.Json.Nodes;
using Herald.Deliveries;
using Herald.Schools;
using Herald.Tests.Api;
using Microsoft.Extensions.Time.Testing;
using MimeKit;

namespace Herald.Tests.Digests;

/// <summary>
/// A family on digest gets one email at the time they chose, on the school's clock, carrying every announcement held for
/// them; each carried delivery then moves on like any other. The clock is a <see cref="FakeTimeProvider"/> moved across the
/// schedule: the pack is checked directly before the due time (nothing is due) and the dispatcher is waited for after it.
/// </summary>
public class DigestTests
{
    /// <summary>Tuesday 1 December 2026, 09:00 in London (GMT, so also 09:00 UTC).</summary>
    private static readonly DateTimeOffset Tuesday = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    private static async Task<long> ContactAsync(HeraldHost h, string digest, string? email = null) =>
        (await h.Client.PostJson("api/v1/contacts", new
        {
            externalId = "ext-" + Guid.NewGuid().ToString("N")[..12], role = "guardian", name = "Dee Gest",
            email = email ?? $"dee-{Guid.NewGuid():N}"[..16] + "@school.example", digest,
        }).ExpectAsync(HttpStatusCode.Created))["contact"]!["id"]!.GetValue<long>();

    private static async Task<long> SendAsync(HeraldHost h, long contact, string subject, bool essential = false, string category = "general")
    {
        var id = await h.Client.AddAnnouncementAsync([contact], essential, category, subject: subject);
        await h.Client.SendAsync(id);
        return id;
    }

    /// <summary>The messages the sandbox wrote to this address.</summary>
    private static List<MimeMessage> MessagesTo(HeraldHost h, string address) =>
        !Directory.Exists(h.SandboxEmailFolder) ? []
            : Directory.GetFiles(h.SandboxEmailFolder, "*.eml").Select(f => MimeMessage.Load(f))
                .Where(m => m.To.Mailboxes.Any(x => x.Address == address)).ToList();

    private static async Task<string> EmailOfAsync(HeraldHost h, long contact) =>
        (await h.Client.GetAsync($"api/v1/contacts/{contact}").ExpectAsync(HttpStatusCode.OK)).Str("email")!;

    private static JsonNode? Entry(JsonNode log, long announcement, Func<string, bool> detail) =>
        log.Entries().LastOrDefault(e => e!["announcementId"]?.GetValue<long>() == announcement && detail(e.Str("detail") ?? ""));

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Held_announcements_go_out_as_one_email_at_the_schools_digest_time_and_essential_ones_at_once(string provider)
    {
        var time = new FakeTimeProvider(Tuesday);
        await using var h = await HeraldHost.StartAsync(provider, time);
        var contact = await ContactAsync(h, "yes");
        var address = await EmailOfAsync(h, contact);
        var trip = await SendAsync(h, contact, "Trip to the museum");
        var club = await SendAsync(h, contact, "Chess club moves to Thursday", category: "clubs");
        var closure = await SendAsync(h, contact, "School closed: burst pipe", essential: true);

        await h.Client.WaitForStatusAsync(closure, contact, "sent");
        Assert.Equal("pending_digest", (await h.Client.ReportAsync(trip)).StatusOf(contact));
        Assert.Equal("pending_digest", (await h.Client.ReportAsync(club)).StatusOf(contact));
        var held = Entry(await h.Client.LogAsync(contact), trip, d => d.StartsWith("held for the contact's digest", StringComparison.Ordinal));
        Assert.Contains("due with the digest of 2026-12-01 17:00 Europe/London (2026-12-01 17:00Z)", held.Str("detail"));

        // One minute before the school's 17:00, nothing is due.
        time.SetUtcNow(new DateTimeOffset(2026, 12, 1, 16, 59, 0, TimeSpan.Zero));
        var ledger = h.Service<DeliveryLedger>();
        Assert.False(ledger.AnyDigestDue());
        Assert.Equal(0, ledger.PackDigests(100));
        Assert.Single(MessagesTo(h, address));

        time.SetUtcNow(new DateTimeOffset(2026, 12, 1, 17, 0, 0, TimeSpan.Zero));
        await h.Client.WaitForStatusAsync(trip, contact, "sent");
        await h.Client.WaitForStatusAsync(club, contact, "sent");

        var messages = MessagesTo(h, address);
        Assert.Equal(2, messages.Count);
        var digest = Assert.Single(messages, m => m.Subject != "School closed: burst pipe");
        Assert.Equal($"School {h.School.Slug}: 2 announcements - Trip to the museum; Chess club moves to Thursday", digest.Subject);
        var text = digest.TextBody ?? "";
        Assert.True(text.IndexOf("1. Trip to the museum", StringComparison.Ordinal) < text.IndexOf("2. Chess club moves to Thursday", StringComparison.Ordinal));
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(text, "Sports day is on Friday.").Count);
        Assert.Contains("This is your digest of messages from", text);

        // Each delivery's log says which digest carried it: the same one.
        var log = await h.Client.LogAsync(contact);
        var packedTrip = Entry(log, trip, d => d.StartsWith("the contact's digest fell due", StringComparison.Ordinal));
        var packedClub = Entry(log, club, d => d.StartsWith("the contact's digest fell due", StringComparison.Ordinal));
        static string DigestOf(JsonNode? e) => System.Text.RegularExpressions.Regex.Match(e.Str("detail") ?? "", @"carried by digest (\d+)").Groups[1].Value;
        Assert.NotEqual("", DigestOf(packedTrip));
        Assert.Equal(DigestOf(packedTrip), DigestOf(packedClub));
        Assert.Contains($"(digest {DigestOf(packedTrip)}: 2 announcement(s) in one message)", Entry(log, club, d => d.StartsWith("sandbox:", StringComparison.Ordinal)).Str("detail"));
        Assert.Equal(0, (await h.Client.ReportAsync(trip)).Count("pending_digest"));
        Assert.Equal(1, (await h.Client.ReportAsync(trip)).Count("sent"));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_weekly_digest_keeps_the_schools_local_time_across_the_end_of_daylight_saving(string provider)
    {
        // New York leaves daylight saving on Sunday 1 November 2026: Friday 17:00 is 21:00 UTC before it, 22:00 UTC after.
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 10, 29, 12, 0, 0, TimeSpan.Zero));
        await using var h = await HeraldHost.StartAsync(provider, time);
        h.Service<SchoolStore>().SetDigestClock(h.School.Id, "America/New_York", "weekly:fri@17:00");
        var contact = await ContactAsync(h, "yes");
        var ledger = h.Service<DeliveryLedger>();

        var first = await SendAsync(h, contact, "Book fair");
        time.SetUtcNow(new DateTimeOffset(2026, 10, 30, 20, 59, 0, TimeSpan.Zero));
        Assert.False(ledger.AnyDigestDue());
        time.SetUtcNow(new DateTimeOffset(2026, 10, 30, 21, 0, 0, TimeSpan.Zero));
        await h.Client.WaitForStatusAsync(first, contact, "sent");

        time.SetUtcNow(new DateTimeOffset(2026, 10, 31, 15, 0, 0, TimeSpan.Zero));
        var second = await SendAsync(h, contact, "Winter concert");
        var held = Entry(await h.Client.LogAsync(contact), second, d => d.StartsWith("held for", StringComparison.Ordinal));
        Assert.Contains("due with the digest of 2026-11-06 17:00 America/New_York (2026-11-06 22:00Z)", held.Str("detail"));
        // 21:00 UTC on the next Friday is 16:00 in New York now.
        time.SetUtcNow(new DateTimeOffset(2026, 11, 6, 21, 0, 0, TimeSpan.Zero));
        Assert.False(ledger.AnyDigestDue());
        time.SetUtcNow(new DateTimeOffset(2026, 11, 6, 22, 0, 0, TimeSpan.Zero));
        await h.Client.WaitForStatusAsync(second, contact, "sent");
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_contact_who_leaves_the_digest_gets_what_is_held_at_the_next_dispatch_each_on_its_own(string provider)
    {
        var time = new FakeTimeProvider(Tuesday);
        await using var h = await HeraldHost.StartAsync(provider, time);
        var external = "leaver-" + Guid.NewGuid().ToString("N")[..8];
        var contact = (await h.Client.PostJson("api/v1/contacts", new { externalId = external, role = "guardian", name = "Lee", email = $"{external}@school.example", digest = "daily@18:00" })
            .ExpectAsync(HttpStatusCode.Created))["contact"]!["id"]!.GetValue<long>();
        var a = await SendAsync(h, contact, "Trip");
        var b = await SendAsync(h, contact, "Club");
        Assert.Equal("pending_digest", (await h.Client.ReportAsync(a)).StatusOf(contact));

        var after = await h.Client.PutAsync($"api/v1/contacts/{contact}", System.Net.Http.Json.JsonContent.Create(
            new { externalId = external, role = "guardian", name = "Lee", email = $"{external}@school.example", digest = "no" })).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("no", (after["contact"] ?? after).Str("digest"));

        await h.Client.WaitForStatusAsync(a, contact, "sent");
        await h.Client.WaitForStatusAsync(b, contact, "sent");
        Assert.Equal(2, MessagesTo(h, $"{external}@school.example").Count);
        var log = await h.Client.LogAsync(contact);
        Assert.Contains(log.Entries(), e => e.Str("detail") == "digest changed from daily@18:00 to no through the contacts API");
        Assert.NotNull(Entry(log, a, d => d.StartsWith("the contact left the digest", StringComparison.Ordinal)));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task An_import_that_changes_the_schedule_moves_what_is_held_and_a_bad_digest_value_is_a_row_error(string provider)
    {
        var time = new FakeTimeProvider(Tuesday);
        await using var h = await HeraldHost.StartAsync(provider, time);
        const string header = "external_id,role,name,email,digest\n";
        var imported = await h.Client.PostCsv(header + "imp-1,guardian,Ida,ida@school.example,yes\n").ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(1, imported["imported"]!.GetValue<int>());
        var contact = (await h.Client.GetAsync("api/v1/contacts?pageSize=10").ExpectAsync(HttpStatusCode.OK))["items"]!.AsArray()
            .Single(c => c.Str("externalId") == "imp-1")!["id"]!.GetValue<long>();
        var a = await SendAsync(h, contact, "Harvest festival");

        var second = await h.Client.PostCsv(header + "imp-1,guardian,Ida,ida@school.example,daily@10:00\nimp-2,guardian,Max,max@school.example,weekly:funday@17:00\n")
            .ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(1, second["imported"]!.GetValue<int>());
        var error = Assert.Single(second["errors"]!.AsArray());
        Assert.Equal(3, error!["line"]!.GetValue<int>());
        Assert.Equal("digest", error.Str("column"));
        Assert.Contains("'funday' is not a day", error.Str("message"));
        Assert.DoesNotContain((await h.Client.GetAsync("api/v1/contacts?pageSize=10").ExpectAsync(HttpStatusCode.OK))["items"]!.AsArray(),
            c => c.Str("externalId") == "imp-2");

        // Held for 17:00 by the school's default, now due at 10:00 by the contact's own schedule.
        time.SetUtcNow(new DateTimeOffset(2026, 12, 1, 9, 59, 0, TimeSpan.Zero));
        Assert.False(h.Service<DeliveryLedger>().AnyDigestDue());
        time.SetUtcNow(new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero));
        await h.Client.WaitForStatusAsync(a, contact, "sent");
        Assert.Contains((await h.Client.LogAsync(contact)).Entries(), e => e.Str("detail")?.StartsWith("digest changed from yes to daily@10:00 by a contact import", StringComparison.Ordinal) == true);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Two_herald_processes_send_each_contacts_digest_exactly_once(string provider)
    {
        var time = new FakeTimeProvider(Tuesday);
        var storage = await HeraldStorage.CreateAsync(provider);
        await using var first = await HeraldHost.StartAsync(provider, time, storage: storage);
        await using var second = await HeraldHost.StartAsync(provider, time, storage: storage);
        var contacts = new List<long>();
        for (var i = 0; i < 12; i++) contacts.Add(await ContactAsync(first, "yes"));
        var announcements = new List<long>();
        foreach (var subject in new[] { "One", "Two", "Three" })
        {
            var id = await first.Client.AddAnnouncementAsync(contacts.ToArray(), subject: subject);
            await first.Client.SendAsync(id);
            announcements.Add(id);
        }

        time.SetUtcNow(new DateTimeOffset(2026, 12, 1, 17, 0, 0, TimeSpan.Zero));
        foreach (var a in announcements)
            await first.Client.WaitForReportAsync(a, r => r.Count("sent") == contacts.Count, "every contact's delivery sent");
        // Both processes' dispatchers ran against the one database and the one sandbox folder: one digest per contact.
        var files = Directory.GetFiles(first.SandboxEmailFolder, "*.eml").Select(f => MimeMessage.Load(f)).ToList();
        Assert.Equal(contacts.Count, files.Count);
        Assert.All(files, m => Assert.StartsWith($"School {first.School.Slug}: 3 announcements", m.Subject));
        Assert.Equal(contacts.Count, files.Select(m => m.To.Mailboxes.Single().Address).Distinct().Count());
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_digest_claimed_by_a_process_that_died_is_sent_once_after_its_lease_lapses(string provider)
    {
        var time = new FakeTimeProvider(Tuesday);
        await using var h = await HeraldHost.StartAsync(provider, time, dispatcher: false);
        var contact = await ContactAsync(h, "yes");
        var address = await EmailOfAsync(h, contact);
        var a = await SendAsync(h, contact, "Trip");
        var b = await SendAsync(h, contact, "Club");
        time.SetUtcNow(new DateTimeOffset(2026, 12, 1, 17, 0, 0, TimeSpan.Zero));
        var ledger = h.Service<DeliveryLedger>();
        Assert.Equal(1, ledger.PackDigests(100));
        Assert.Equal(0, ledger.PackDigests(100));

        // A process claims the digest (its lead brings the other delivery under the same token) and is killed before it
        // sends: nobody else may take it while the lease holds.
        var dead = ledger.Claim(10, TimeSpan.FromMilliseconds(300));
        Assert.Equal(2, dead.Deliveries.Count);
        Assert.Single(dead.Deliveries.Select(d => d.DigestId).Distinct());
        Assert.Empty(ledger.Claim(10, TimeSpan.FromMinutes(5)).Deliveries);

        // The lease runs on the database's clock: once it lapses, the next dispatcher sends the digest, once.
        var dispatcher = h.Service<Herald.Dispatch.Dispatcher>();
        await Herald.Tests.Servers.ServerHelpers.WaitUntilAsync(async () => await dispatcher.RunOnceAsync(CancellationToken.None) > 0, HeraldHost.DispatchTimeout,
            () => "the lapsed digest was never claimed again");
        while (await dispatcher.RunOnceAsync(CancellationToken.None) > 0) { }
        Assert.Single(MessagesTo(h, address));
        Assert.Equal("sent", (await h.Client.ReportAsync(a)).StatusOf(contact));
        Assert.Equal("sent", (await h.Client.ReportAsync(b)).StatusOf(contact));
        // The dead claim's answer, were it to come now, is refused by the fence.
        var late = ledger.Complete(dead.Deliveries.Select(d => new Completion(d, dead.Token, Herald.Core.Deliveries.DeliveryStatus.Rejected,
            Herald.Core.Deliveries.EventSource.Transport, "late answer", null, time.GetUtcNow())).ToList());
        Assert.All(late, r => Assert.Equal(CompletionResult.Lapsed, r));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task The_simulators_hard_bounce_of_a_digest_fails_every_announcement_it_carried(string provider)
    {
        var time = new FakeTimeProvider(Tuesday);
        await using var h = await HeraldHost.StartAsync(provider, time);
        var contact = await ContactAsync(h, "yes", $"hard-bounce+{Guid.NewGuid():N}@{Herald.Sandbox.SandboxTransport.SimulatorDomain}");
        var a = await SendAsync(h, contact, "Trip");
        var b = await SendAsync(h, contact, "Club");
        time.SetUtcNow(new DateTimeOffset(2026, 12, 1, 17, 0, 0, TimeSpan.Zero));
        await h.Client.WaitForStatusAsync(a, contact, "hard_bounce");
        await h.Client.WaitForStatusAsync(b, contact, "hard_bounce");
        // The address is failed: the next announcement is dropped at once.
        var c = await SendAsync(h, contact, "Another");
        Assert.Equal("dropped", (await h.Client.ReportAsync(c)).StatusOf(contact));
    }
}

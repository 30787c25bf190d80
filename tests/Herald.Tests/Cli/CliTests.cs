using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using Herald.Cli;
using Herald.Storage;
using Herald.Tests.Api;
using Microsoft.Extensions.Configuration;

namespace Herald.Tests.Cli;

/// <summary>The operator runs Herald's admin commands against the same database the API uses.</summary>
public class CliTests
{
    private static Task<CliResult> Run(HeraldStorage storage, params string[] args) => CliSteps.Run(storage, args);

    private static Task<CliResult> RunOk(HeraldStorage storage, params string[] args) => CliSteps.RunOk(storage, args);

    private static string Slug() => "cli-" + Guid.NewGuid().ToString("N")[..8];

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_school_added_and_keyed_on_the_command_line_can_use_the_api(string provider)
    {
        var storage = await HeraldStorage.CreateAsync(provider);
        var slug = Slug();
        Assert.Contains($"'{slug}' added", (await RunOk(storage, "schools", "add", slug, "--name", "Hillside")).Output);
        var key = (await RunOk(storage, "keys", "create", "--school", slug)).Output.Trim();
        Assert.StartsWith("hk_", key);
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false, storage: storage);
        var client = h.CreateClient(key);
        await client.AddContactAsync("ann@school.example");
        var list = await client.GetAsync("api/v1/contacts").ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(1, list["total"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_schools_clock_and_default_digest_are_set_on_the_command_line_and_a_bad_one_is_named()
    {
        using var storage = await HeraldStorage.CreateAsync("sqlite");
        var slug = Slug();
        var added = await RunOk(storage, "schools", "add", slug, "--name", "Hillside", "--timezone", "America/New_York", "--digest", "weekly:Friday@16:30");
        Assert.Contains("(time zone America/New_York, default digest weekly:fri@16:30)", added.Output);

        var badZone = await CliSteps.Run(storage, "schools", "update", slug, "--timezone", "Mars/Olympus");
        Assert.NotEqual(0, badZone.Exit);
        Assert.Contains("time zone 'Mars/Olympus' is not an IANA time zone name", badZone.Error);
        var badDigest = await CliSteps.Run(storage, "schools", "update", slug, "--digest", "daily@24:00");
        Assert.NotEqual(0, badDigest.Exit);
        Assert.Contains("24:00 is not a time of day", badDigest.Error);
        Assert.NotEqual(0, (await CliSteps.Run(storage, "schools", "update", slug)).Exit);

        Assert.Contains($"'{slug}': time zone Europe/Madrid, default digest daily@08:00",
            (await RunOk(storage, "schools", "update", slug, "--timezone", "Europe/Madrid", "--digest", "daily@08:00")).Output);
        Assert.Contains($"{slug}\tHillside\t\tEurope/Madrid\tdaily@08:00", (await RunOk(storage, "schools", "list")).Output);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_created_key_is_stored_only_as_a_hash(string provider)
    {
        using var storage = await HeraldStorage.CreateAsync(provider);
        var slug = Slug();
        await RunOk(storage, "schools", "add", slug, "--name", "Hillside");
        var key = (await RunOk(storage, "keys", "create", "--school", slug)).Output.Trim();
        var options = Herald.Hosting.HeraldApp.LoadOptions(
            new Microsoft.Extensions.Configuration.ConfigurationBuilder().AddInMemoryCollection(storage.Settings).Build());
        var db = Database.FromOptions(options.Database, options.DataDirectory);
        using (var c = db.Open())
        {
            var rows = c.Query("SELECT * FROM api_keys").Select(r => string.Join("|", ((IDictionary<string, object?>)r).Values)).ToList();
            Assert.Single(rows);
            Assert.DoesNotContain(key, rows[0]);
            Assert.DoesNotContain(key[3..], rows[0]);
        }
        if (provider == "sqlite")
            foreach (var file in Directory.GetFiles(storage.DataDirectory, "herald.db*"))
            {
                var bytes = await File.ReadAllBytesAsync(file);
                Assert.False(System.Text.Encoding.ASCII.GetString(bytes).Contains(key[3..]), $"the clear key is in {file}");
            }
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Importing_a_file_with_errors_exits_non_zero_and_names_the_lines(string provider)
    {
        using var storage = await HeraldStorage.CreateAsync(provider);
        var slug = Slug();
        await RunOk(storage, "schools", "add", slug, "--name", "Hillside");
        var file = Path.Combine(storage.DataDirectory, "contacts.csv");
        await File.WriteAllTextAsync(file, "external_id,role,name,email\ns1,student,Ann,ann@school.example\ns2,teacher,Bo,bo@school.example\n");
        var r = await Run(storage, "contacts", "import", "--school", slug, file);
        Assert.True(r.Exit != 0, r.ToString());
        Assert.Contains("imported 1, rejected 1", r.Output);
        Assert.Contains("line 3, role", r.Output);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_clean_import_exits_zero(string provider)
    {
        using var storage = await HeraldStorage.CreateAsync(provider);
        var slug = Slug();
        await RunOk(storage, "schools", "add", slug, "--name", "Hillside");
        var file = Path.Combine(storage.DataDirectory, "contacts.csv");
        await File.WriteAllTextAsync(file, "external_id,role,name,email\ns1,student,Ann,ann@school.example\n");
        Assert.Contains("imported 1, rejected 0", (await RunOk(storage, "contacts", "import", "--school", slug, file)).Output);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task The_report_as_json_has_the_counts(string provider)
    {
        var storage = await HeraldStorage.CreateAsync(provider);
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false, storage: storage);
        var missing = await h.Client.AddContactAsync(null);
        var queued = await h.Client.AddContactAsync("ann@school.example");
        var a = await h.Client.SendToAsync([missing, queued]);
        var r = await RunOk(storage, "report", a.ToString(), "--json");
        var report = JsonNode.Parse(r.Output)!;
        Assert.Equal(1, report.Count("queued"));
        Assert.Equal(1, report.Count("email_missing"));
        Assert.Equal(0, report.Count("delivered"));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task The_contact_log_as_json_has_the_decision(string provider)
    {
        var storage = await HeraldStorage.CreateAsync(provider);
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false, storage: storage);
        var c = await h.Client.AddContactAsync("ann@school.example");
        var a = await h.Client.SendToAsync([c]);
        var log = JsonNode.Parse((await RunOk(storage, "contacts", "log", c.ToString(), "--json")).Output)!;
        var entry = Assert.Single(log.Entries());
        Assert.Equal(("queued", "decision", a), (entry.Str("status"), entry.Str("source"), entry!["announcementId"]!.GetValue<long>()));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Resetting_an_address_on_the_command_line_logs_who_and_why(string provider)
    {
        var storage = await HeraldStorage.CreateAsync(provider);
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false, storage: storage);
        var c = await h.Client.AddContactAsync("ann@school.example");
        var a = await h.Client.SendToAsync([c]);
        var d = (await h.Client.ReportAsync(a)).LineOf(c)["deliveryId"]!.GetValue<long>();
        await h.Client.PostJson("api/v1/events", new { deliveryId = d, status = "hard_bounce" }).ExpectAsync(HttpStatusCode.OK);
        var r = await RunOk(storage, "addresses", "reset", "ann@school.example", "--by", "sam.support", "--why", "ticket 99", "--school", h.School.Slug);
        Assert.Contains("reset in 1 school(s)", r.Output);
        var support = Assert.Single((await h.Client.LogAsync(c)).Entries(), e => e.Str("source") == "support");
        Assert.Contains("sam.support", support!.Str("detail"));
        Assert.Contains("ticket 99", support.Str("detail"));
        Assert.Equal("queued", (await h.Client.ReportAsync(await h.Client.SendToAsync([c]))).StatusOf(c));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Resetting_an_address_on_the_command_line_without_a_school_is_refused(string provider)
    {
        var storage = await HeraldStorage.CreateAsync(provider);
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false, storage: storage);
        var c = await h.Client.AddContactAsync("ann@school.example");
        var d = (await h.Client.ReportAsync(await h.Client.SendToAsync([c]))).LineOf(c)["deliveryId"]!.GetValue<long>();
        await h.Client.PostJson("api/v1/events", new { deliveryId = d, status = "hard_bounce" }).ExpectAsync(HttpStatusCode.OK);
        var r = await Run(storage, "addresses", "reset", "ann@school.example", "--by", "sam", "--why", "ticket 99");
        Assert.Equal(1, r.Exit);
        Assert.Contains("--school SLUG, or --all-schools", r.Error);
        Assert.Equal("dropped", (await h.Client.ReportAsync(await h.Client.SendToAsync([c]))).StatusOf(c));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Resetting_an_address_in_all_schools_on_the_command_line_says_so(string provider)
    {
        var storage = await HeraldStorage.CreateAsync(provider);
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false, storage: storage);
        var c = await h.Client.AddContactAsync("ann@school.example");
        var d = (await h.Client.ReportAsync(await h.Client.SendToAsync([c]))).LineOf(c)["deliveryId"]!.GetValue<long>();
        await h.Client.PostJson("api/v1/events", new { deliveryId = d, status = "hard_bounce" }).ExpectAsync(HttpStatusCode.OK);
        var r = await RunOk(storage, "addresses", "reset", "ann@school.example", "--by", "sam", "--why", "ticket 99", "--all-schools");
        Assert.Contains("reset in 1 school(s) (all-schools reset)", r.Output);
        var support = Assert.Single((await h.Client.LogAsync(c)).Entries(), e => e.Str("source") == "support");
        Assert.Contains("all-schools reset", support!.Str("detail"));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Resetting_an_address_that_is_not_blocked_fails_with_a_message(string provider)
    {
        using var storage = await HeraldStorage.CreateAsync(provider);
        var r = await Run(storage, "addresses", "reset", "fine@school.example", "--by", "sam", "--why", "check", "--all-schools");
        Assert.Equal(1, r.Exit);
        Assert.Contains("not marked failed or suppressed", r.Error);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task An_unknown_school_is_named_without_a_stack_trace(string provider)
    {
        using var storage = await HeraldStorage.CreateAsync(provider);
        var r = await Run(storage, "keys", "create", "--school", "nope");
        Assert.Equal(1, r.Exit);
        Assert.Contains("no school 'nope'", r.Error);
        Assert.DoesNotContain("   at ", r.Error + r.Output);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Importing_into_an_unknown_school_is_named_without_a_stack_trace(string provider)
    {
        using var storage = await HeraldStorage.CreateAsync(provider);
        var file = Path.Combine(storage.DataDirectory, "contacts.csv");
        await File.WriteAllTextAsync(file, "external_id,role,name\ns1,student,Ann\n");
        var r = await Run(storage, "contacts", "import", "--school", "nope", file);
        Assert.Equal(1, r.Exit);
        Assert.Contains("no school 'nope'", r.Error);
        Assert.DoesNotContain("   at ", r.Error + r.Output);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_report_of_an_unknown_announcement_is_named_without_a_stack_trace(string provider)
    {
        using var storage = await HeraldStorage.CreateAsync(provider);
        var r = await Run(storage, "report", "424242", "--json");
        Assert.Equal(1, r.Exit);
        Assert.Contains("no announcement 424242", r.Error);
        Assert.DoesNotContain("   at ", r.Error + r.Output);
    }

    [Fact]
    public async Task A_key_needs_either_a_school_or_operator()
    {
        using var storage = await HeraldStorage.CreateAsync("sqlite");
        var r = await Run(storage, "keys", "create");
        Assert.Equal(1, r.Exit);
        Assert.Contains("--school", r.Error);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Resend_on_the_command_line_dry_runs_then_resends_once_per_key(string provider)
    {
        var storage = await HeraldStorage.CreateAsync(provider);
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false, storage: storage);
        var missing = await h.Client.AddContactAsync(null);
        var a = await h.Client.SendToAsync([missing]);
        await h.Client.PutAsync($"api/v1/contacts/{missing}", System.Net.Http.Json.JsonContent.Create(
            new { role = "guardian", name = "Test Contact", email = "fixed@school.example" }, options: HeraldHost.Json)).ExpectAsync(HttpStatusCode.OK);

        var dry = await RunOk(storage, "announcements", "resend", a.ToString(), "--status", "email_missing", "--dry-run", "--by", "office");
        Assert.Contains("would resend 1", dry.Output);
        Assert.Contains("email queued: 1", dry.Output);
        Assert.Equal("email_missing", (await h.Client.ReportAsync(a)).StatusOf(missing));

        var first = await RunOk(storage, "announcements", "resend", a.ToString(), "--status", "email_missing", "--by", "office", "--idempotency-key", "k1");
        Assert.Contains("resent 1", first.Output);
        var again = await RunOk(storage, "announcements", "resend", a.ToString(), "--status", "email_missing", "--by", "office", "--idempotency-key", "k1");
        Assert.Contains("already done with this key", again.Output);
        var line = (await h.Client.ReportAsync(a)).LineOf(missing);
        Assert.Equal("queued", line.Str("status"));
        Assert.Equal(2, line["attempt"]!.GetValue<int>());
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Resend_with_an_unknown_status_is_named_without_a_stack_trace(string provider)
    {
        var storage = await HeraldStorage.CreateAsync(provider);
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false, storage: storage);
        var a = await h.Client.SendToAsync([await h.Client.AddContactAsync(null)]);
        var r = await Run(storage, "announcements", "resend", a.ToString(), "--status", "lost", "--by", "office");
        Assert.Equal(1, r.Exit);
        Assert.Contains("'lost' is not a status", r.Error);
        Assert.DoesNotContain("   at ", r.Error + r.Output);
    }
}

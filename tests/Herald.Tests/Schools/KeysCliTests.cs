using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Herald.Cli;
using Herald.Tests.Api;
using Herald.Tests.Cli;

namespace Herald.Tests.Schools;

/// <summary>The operator manages API keys on the command line: create, list, revoke, rotate, and clear errors.</summary>
public class KeysCliTests
{
    private static Task<CliResult> Run(HeraldStorage storage, params string[] args) => CliSteps.Run(storage, args);

    private static Task<CliResult> RunOk(HeraldStorage storage, params string[] args) => CliSteps.RunOk(storage, args);

    private static async Task<CliResult> RunFails(HeraldStorage storage, params string[] args)
    {
        var r = await Run(storage, args);
        Assert.True(r.Exit != 0, $"herald {string.Join(' ', args)} should have failed: {r}");
        Assert.DoesNotContain("   at ", r.Error + r.Output);
        return r;
    }

    /// <summary>A storage with one school; returns its slug.</summary>
    private static async Task<(HeraldStorage Storage, string Slug)> SchoolAsync(string provider)
    {
        var storage = await HeraldStorage.CreateAsync(provider);
        var slug = "keys-" + Guid.NewGuid().ToString("N")[..8];
        await RunOk(storage, "schools", "add", slug, "--name", "Hillside");
        return (storage, slug);
    }

    private static async Task<JsonNode> CreateJson(HeraldStorage storage, params string[] args) =>
        JsonNode.Parse((await RunOk(storage, ["keys", "create", .. args, "--json"])).Output)!;

    private static async Task<JsonArray> ListJson(HeraldStorage storage, params string[] args) =>
        JsonNode.Parse((await RunOk(storage, ["keys", "list", .. args, "--json"])).Output)!.AsArray();

    private static JsonNode? Listed(JsonArray list, long id) => list.SingleOrDefault(k => k!["id"]!.GetValue<long>() == id);

    private static long Id(JsonNode n) => n["id"]!.GetValue<long>();

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Create_prints_the_key_alone_and_says_its_id_on_stderr(string provider)
    {
        var (storage, slug) = await SchoolAsync(provider);
        using var _ = storage;
        var r = await RunOk(storage, "keys", "create", "--school", slug, "--name", "office");
        Assert.Matches("^hk_[0-9a-f]{64}$", r.Output.Trim());
        var id = Id(Assert.Single(await ListJson(storage))!);
        Assert.Contains($"key {id} ({r.Output.Trim()[..10]}) created for school '{slug}'", r.Error);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Create_as_json_gives_the_key_and_its_id(string provider)
    {
        var (storage, slug) = await SchoolAsync(provider);
        using var _ = storage;
        var created = await CreateJson(storage, "--school", slug);
        Assert.StartsWith("hk_", created["key"]!.GetValue<string>());
        Assert.Equal("api", Listed(await ListJson(storage), Id(created))!.Str("name"));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_key_created_to_expire_in_90_days_is_listed_with_that_expiry(string provider)
    {
        var (storage, slug) = await SchoolAsync(provider);
        using var _ = storage;
        var before = DateTimeOffset.UtcNow;
        var created = await CreateJson(storage, "--school", slug, "--expires", "90d");
        var expires = Listed(await ListJson(storage), Id(created))!["expiresAt"]!.GetValue<DateTimeOffset>();
        Assert.InRange(expires, before.AddDays(90).AddSeconds(-1), DateTimeOffset.UtcNow.AddDays(90).AddSeconds(1));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_key_created_to_expire_on_a_date_expires_at_that_date_in_utc(string provider)
    {
        var (storage, slug) = await SchoolAsync(provider);
        using var _ = storage;
        var created = await CreateJson(storage, "--school", slug, "--expires", "2099-03-01");
        Assert.Equal(new DateTimeOffset(2099, 3, 1, 0, 0, 0, TimeSpan.Zero), Listed(await ListJson(storage), Id(created))!["expiresAt"]!.GetValue<DateTimeOffset>());
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_past_expiry_is_refused_naming_the_option(string provider)
    {
        var (storage, slug) = await SchoolAsync(provider);
        using var _ = storage;
        var r = await RunFails(storage, "keys", "create", "--school", slug, "--expires", "2020-01-01");
        Assert.Contains("--expires '2020-01-01' is not in the future", r.Error);
        Assert.Empty(await ListJson(storage, "--all"));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task An_unreadable_expiry_is_refused_naming_the_option(string provider)
    {
        var (storage, slug) = await SchoolAsync(provider);
        using var _ = storage;
        var r = await RunFails(storage, "keys", "create", "--school", slug, "--expires", "next week");
        Assert.Contains("--expires 'next week' is neither a duration", r.Error);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_read_only_operator_key_is_listed_as_read_only_operator(string provider)
    {
        var (storage, _) = await SchoolAsync(provider);
        using var s = storage;
        var created = await CreateJson(storage, "--operator", "--read-only", "--name", "monitoring");
        var listed = Listed(await ListJson(storage), Id(created))!;
        Assert.True(listed["isOperator"]!.GetValue<bool>());
        Assert.True(listed["readOnly"]!.GetValue<bool>());
        Assert.Contains("operator, read-only", (await RunOk(storage, "keys", "list")).Output);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task List_shows_prefix_name_school_and_state_but_never_the_key_or_its_hash(string provider)
    {
        var (storage, slug) = await SchoolAsync(provider);
        using var _ = storage;
        var key = (await RunOk(storage, "keys", "create", "--school", slug, "--name", "office-sync")).Output.Trim();
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
        var table = (await RunOk(storage, "keys", "list")).Output;
        var json = (await RunOk(storage, "keys", "list", "--json")).Output;
        foreach (var text in new[] { table, json })
        {
            Assert.Contains(key[..10], text);
            Assert.Contains("office-sync", text);
            Assert.Contains(slug, text);
            Assert.Contains("active", text);
            Assert.DoesNotContain(key, text);
            Assert.DoesNotContain(hash, text, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task List_for_a_school_shows_only_its_keys(string provider)
    {
        var (storage, slug) = await SchoolAsync(provider);
        using var _ = storage;
        var other = "other-" + Guid.NewGuid().ToString("N")[..8];
        await RunOk(storage, "schools", "add", other, "--name", "Other");
        var mine = await CreateJson(storage, "--school", slug);
        await CreateJson(storage, "--school", other);
        await CreateJson(storage, "--operator");
        Assert.Equal([Id(mine)], (await ListJson(storage, "--school", slug)).Select(k => Id(k!)));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_revoked_key_is_listed_only_with_all(string provider)
    {
        var (storage, slug) = await SchoolAsync(provider);
        using var _ = storage;
        var created = await CreateJson(storage, "--school", slug);
        Assert.Contains($"key {Id(created)} (", (await RunOk(storage, "keys", "revoke", Id(created).ToString())).Output);
        Assert.Null(Listed(await ListJson(storage), Id(created)));
        Assert.Equal("revoked", Listed(await ListJson(storage, "--all"), Id(created)).Str("state"));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_key_can_be_revoked_by_its_prefix(string provider)
    {
        var (storage, slug) = await SchoolAsync(provider);
        using var _ = storage;
        var created = await CreateJson(storage, "--school", slug);
        await RunOk(storage, "keys", "revoke", created.Str("prefix")!);
        Assert.Equal("revoked", Listed(await ListJson(storage, "--all"), Id(created)).Str("state"));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Revoking_a_key_twice_is_an_error_naming_it(string provider)
    {
        var (storage, slug) = await SchoolAsync(provider);
        using var _ = storage;
        var created = await CreateJson(storage, "--school", slug);
        await RunOk(storage, "keys", "revoke", Id(created).ToString());
        var r = await RunFails(storage, "keys", "revoke", Id(created).ToString());
        Assert.Contains($"key {Id(created)} ({created.Str("prefix")}) was already revoked", r.Error);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Revoking_an_unknown_key_is_an_error_naming_it(string provider)
    {
        var (storage, _) = await SchoolAsync(provider);
        using var s = storage;
        Assert.Contains("no key '424242'", (await RunFails(storage, "keys", "revoke", "424242")).Error);
        Assert.Contains("no key 'hk_0000000'", (await RunFails(storage, "keys", "revoke", "hk_0000000")).Error);
        Assert.Contains("'office' is neither a key id nor a key prefix", (await RunFails(storage, "keys", "revoke", "office")).Error);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Rotate_prints_a_new_key_for_the_same_school_and_name_and_the_old_one_lasts_a_day(string provider)
    {
        var (storage, slug) = await SchoolAsync(provider);
        using var _ = storage;
        var old = await CreateJson(storage, "--school", slug, "--name", "office-sync");
        var before = DateTimeOffset.UtcNow;
        var r = await RunOk(storage, "keys", "rotate", Id(old).ToString());
        var list = await ListJson(storage);
        var fresh = Assert.Single(list, k => Id(k!) != Id(old))!;
        Assert.Equal(r.Output.Trim()[..10], fresh.Str("prefix"));
        Assert.Equal(("office-sync", slug, "active"), (fresh.Str("name"), fresh.Str("school"), fresh.Str("state")));
        var rotated = Listed(list, Id(old))!;
        Assert.Equal(("rotated", Id(fresh)), (rotated.Str("state"), rotated["replacedBy"]!.GetValue<long>()));
        Assert.InRange(rotated["expiresAt"]!.GetValue<DateTimeOffset>(), before.AddHours(24).AddSeconds(-1), DateTimeOffset.UtcNow.AddHours(24).AddSeconds(1));
        Assert.Contains($"replaces key {Id(old)}", r.Error);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Rotate_with_grace_0_ends_the_old_key_at_once(string provider)
    {
        var (storage, slug) = await SchoolAsync(provider);
        using var _ = storage;
        var old = await CreateJson(storage, "--school", slug);
        await RunOk(storage, "keys", "rotate", Id(old).ToString(), "--grace", "0");
        Assert.Null(Listed(await ListJson(storage), Id(old)));
        Assert.Equal("expired", Listed(await ListJson(storage, "--all"), Id(old)).Str("state"));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task An_unreadable_grace_is_refused_naming_the_option(string provider)
    {
        var (storage, slug) = await SchoolAsync(provider);
        using var _ = storage;
        var old = await CreateJson(storage, "--school", slug);
        Assert.Contains("--grace 'tomorrow' is not a duration", (await RunFails(storage, "keys", "rotate", Id(old).ToString(), "--grace", "tomorrow")).Error);
        Assert.Single(await ListJson(storage, "--all"));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Rotating_a_key_twice_names_its_replacement(string provider)
    {
        var (storage, slug) = await SchoolAsync(provider);
        using var _ = storage;
        var old = await CreateJson(storage, "--school", slug);
        var fresh = JsonNode.Parse((await RunOk(storage, "keys", "rotate", Id(old).ToString(), "--json")).Output)!;
        var r = await RunFails(storage, "keys", "rotate", Id(old).ToString());
        Assert.Contains($"key {Id(old)} ({old.Str("prefix")}) was already rotated: its replacement is key {Id(fresh)}", r.Error);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Rotating_a_revoked_key_is_refused(string provider)
    {
        var (storage, slug) = await SchoolAsync(provider);
        using var _ = storage;
        var old = await CreateJson(storage, "--school", slug);
        await RunOk(storage, "keys", "revoke", Id(old).ToString());
        Assert.Contains($"key {Id(old)} ({old.Str("prefix")}) was revoked", (await RunFails(storage, "keys", "rotate", Id(old).ToString())).Error);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Keys_list_shows_when_a_key_was_last_used(string provider)
    {
        var (storage, slug) = await SchoolAsync(provider);
        var key = (await RunOk(storage, "keys", "create", "--school", slug)).Output.Trim();
        Assert.Null(Assert.Single(await ListJson(storage))!["lastUsedAt"]);
        Assert.Contains("never", (await RunOk(storage, "keys", "list")).Output);
        await using (var h = await HeraldHost.StartAsync(provider, dispatcher: false, storage: storage))
        {
            await h.CreateClient(key).GetAsync("api/v1/contacts").ExpectAsync(HttpStatusCode.OK);
            var listed = await ListJson(storage, "--school", slug);
            Assert.NotNull(Assert.Single(listed)!["lastUsedAt"]);
        }
    }
}

using System.CommandLine;
using System.Text.Json;
using Herald.Commands;

namespace Herald.Schools;

/// <summary><c>herald keys create|list|revoke|rotate</c>: the API keys' lifecycle.</summary>
public static partial class SchoolsCommands
{
    /// <summary>How long a rotated key keeps working by default: a day is time for a nightly sync or a deploy to pick
    /// up the new key, and short enough that a key rotated because it leaked is soon dead.</summary>
    public const string DefaultGrace = "24h";

    public static Command Keys(CommandContext cli)
    {
        var keys = new Command("keys", "Manage API keys: create, list, revoke, rotate.");
        keys.Subcommands.Add(Create(cli));
        keys.Subcommands.Add(List(cli));
        keys.Subcommands.Add(Revoke(cli));
        keys.Subcommands.Add(Rotate(cli));
        return keys;
    }

    private static Command Create(CommandContext cli)
    {
        var create = new Command("create", "Create an API key; it is shown once (on standard output, alone) and stored only as a hash.");
        var school = new Option<string?>("--school") { Description = "The school (slug or id) the key acts for" };
        var op = new Option<bool>("--operator") { Description = "An operator key: every school, events and support actions" };
        var name = new Option<string>("--name") { Description = "A label, shown in 'keys list' and in the log of the events the key writes", DefaultValueFactory = _ => "api" };
        var expires = new Option<string?>("--expires") { Description = "When it stops working: a duration (90d, 12h) or a date/time (2027-03-01, 2027-03-01T12:00Z); default never" };
        var readOnly = new Option<bool>("--read-only") { Description = "The key may only read (GET): dashboards, monitoring (school and operator keys)" };
        var json = new Option<bool>("--json") { Description = "One JSON object with the key and its id" };
        foreach (var o in new Option[] { school, op, name, expires, readOnly, json }) create.Options.Add(o);
        create.SetAction(p => cli.Run(p, (sp, output) =>
        {
            var store = sp.GetRequiredService<SchoolStore>();
            var slug = p.GetValue(school);
            if (slug is null == !p.GetValue(op)) throw new ArgumentException("give either --school SLUG or --operator");
            var expiresAt = p.GetValue(expires) is { } e ? KeyTimes.ParseExpiry(e, sp.GetRequiredService<TimeProvider>().GetUtcNow()) : (DateTimeOffset?)null;
            long? schoolId = slug is null ? null : store.Require(slug).Id;
            var key = store.CreateKey(schoolId, p.GetValue(name)!, p.GetValue(op), p.GetValue(readOnly), expiresAt);
            if (p.GetValue(json)) { output.WriteLine(JsonSerializer.Serialize(key, cli.Json)); return 0; }
            // The key alone on standard output, so that KEY=$(herald keys create …) works; what it is goes to stderr.
            output.WriteLine(key.Key);
            p.InvocationConfiguration.Error.WriteLine($"key {key.Id} ({key.Prefix}) created for {(slug is null ? "operators" : $"school '{slug}'")}" +
                $"{(p.GetValue(readOnly) ? ", read-only" : "")}{(key.ExpiresAt is { } at ? $", expires {at:u}" : "")}; it is not shown again");
            return 0;
        }));
        return create;
    }

    private static Command List(CommandContext cli)
    {
        var list = new Command("list", "List API keys (never their secret): by default those that still work.");
        var school = new Option<string?>("--school") { Description = "Only this school's keys (slug or id)" };
        var all = new Option<bool>("--all") { Description = "Also revoked and expired keys" };
        var json = new Option<bool>("--json") { Description = "One JSON array" };
        foreach (var o in new Option[] { school, all, json }) list.Options.Add(o);
        list.SetAction(p => cli.Run(p, (sp, output) =>
        {
            var store = sp.GetRequiredService<SchoolStore>();
            long? schoolId = p.GetValue(school) is { } slug ? store.Require(slug).Id : null;
            var keys = store.Keys(schoolId, p.GetValue(all));
            if (p.GetValue(json)) { output.WriteLine(JsonSerializer.Serialize(keys, cli.Json)); return 0; }
            // Tab-separated lines, like 'schools list': nothing wraps, and scripts can cut columns.
            output.WriteLine(string.Join('\t', "id", "prefix", "name", "school", "kind", "created", "expires", "last used", "state"));
            foreach (var k in keys)
                output.WriteLine(string.Join('\t', k.Id, k.Prefix, OneCell(k.Name), k.School ?? (k.IsOperator ? "(all)" : ""),
                    (k.IsOperator ? "operator" : "school") + (k.ReadOnly ? ", read-only" : ""), When(k.CreatedAt), When(k.ExpiresAt) ?? "never",
                    When(k.LastUsedAt) ?? "never", State(k)));
            return 0;
        }));
        return list;
    }

    private static Command Revoke(CommandContext cli)
    {
        var revoke = new Command("revoke", "Revoke an API key at once: every later request with it is refused (401).");
        var key = new Argument<string>("key") { Description = "The key's id, or its prefix (hk_…) as 'keys list' shows it" };
        revoke.Arguments.Add(key);
        revoke.SetAction(p => cli.Run(p, (sp, output) =>
        {
            var k = sp.GetRequiredService<SchoolStore>().Revoke(p.GetValue(key)!);
            output.WriteLine($"key {k.Id} ({k.Prefix}, '{k.Name}') revoked");
            return 0;
        }));
        return revoke;
    }

    private static Command Rotate(CommandContext cli)
    {
        var rotate = new Command("rotate", "Replace an API key with a new one (same school, name and flags); the old one works until the grace ends.");
        var key = new Argument<string>("key") { Description = "The key's id, or its prefix (hk_…) as 'keys list' shows it" };
        var grace = new Option<string>("--grace") { Description = "How long the old key keeps working (24h, 7d, 30m; 0 ends it at once)", DefaultValueFactory = _ => DefaultGrace };
        var expires = new Option<string?>("--expires") { Description = "When the new key stops working; default: the old key's lifetime again, from now" };
        var json = new Option<bool>("--json") { Description = "One JSON object with the new key, its id, and the old key" };
        rotate.Arguments.Add(key); rotate.Options.Add(grace); rotate.Options.Add(expires); rotate.Options.Add(json);
        rotate.SetAction(p => cli.Run(p, (sp, output) =>
        {
            var g = KeyTimes.ParseGrace(p.GetValue(grace)!);
            var expiresAt = p.GetValue(expires) is { } e ? KeyTimes.ParseExpiry(e, sp.GetRequiredService<TimeProvider>().GetUtcNow()) : (DateTimeOffset?)null;
            var (old, fresh) = sp.GetRequiredService<SchoolStore>().Rotate(p.GetValue(key)!, g, expiresAt);
            if (p.GetValue(json)) { output.WriteLine(JsonSerializer.Serialize(new { fresh.Id, fresh.Key, fresh.Prefix, fresh.ExpiresAt, Old = old }, cli.Json)); return 0; }
            output.WriteLine(fresh.Key);
            p.InvocationConfiguration.Error.WriteLine($"key {fresh.Id} ({fresh.Prefix}) replaces key {old.Id} ({old.Prefix}), which " +
                (old.State == "expired" ? "no longer works" : $"works until {old.ExpiresAt:u}") + "; the new key is not shown again");
            return 0;
        }));
        return rotate;
    }

    private static string? When(DateTimeOffset? at) => at?.ToString("u");

    /// <summary>A name as one cell of a tab-separated line.</summary>
    private static string OneCell(string text) => string.Concat(text.Select(ch => char.IsControl(ch) ? ' ' : ch));

    private static string State(KeyInfo k) => k.State switch
    {
        "revoked" => $"revoked {k.RevokedAt:u}",
        "rotated" => $"rotated to key {k.ReplacedBy}, works until {k.ExpiresAt:u}",
        "expired" when k.ReplacedBy is { } by => $"rotated to key {by}, ended",
        _ => k.State,
    };
}

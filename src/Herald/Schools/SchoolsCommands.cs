using System.CommandLine;
using Herald.Commands;

namespace Herald.Schools;

/// <summary><c>herald schools …</c> and <c>herald keys …</c> (KeysCommands.cs): tenants and their API keys.</summary>
public static partial class SchoolsCommands
{
    public static Command Schools(CommandContext cli)
    {
        var schools = new Command("schools", "Manage schools (tenants).");
        var add = new Command("add", "Add a school.");
        var slug = new Argument<string>("slug") { Description = "Short unique name, e.g. 'hillside'" };
        var name = new Option<string>("--name") { Description = "Display name", Required = true };
        var from = new Option<string?>("--from") { Description = "The school's white-labelled From address" };
        var fromName = new Option<string?>("--from-name") { Description = "Display name for From" };
        var replyTo = new Option<string?>("--reply-to") { Description = "Reply-To address" };
        var region = new Option<string>("--region") { Description = "Default region for national phone numbers (ISO 3166, e.g. GB)", DefaultValueFactory = _ => "GB" };
        var tracking = new Option<string>("--tracking") { Description = "Opens and clicks in HTML emails: on (default) or off", DefaultValueFactory = _ => "on" };
        tracking.AcceptOnlyFromAmong("on", "off");
        var timeZone = TimeZoneOption(SchoolStore.DefaultTimeZone);
        var digest = DigestOption(SchoolStore.DefaultDigest);
        add.Arguments.Add(slug);
        foreach (var o in new Option[] { name, from, fromName, replyTo, region, tracking, timeZone, digest }) add.Options.Add(o);
        add.SetAction(p => cli.Run(p, (sp, output) =>
        {
            var s = p.GetValue(slug)!.Trim().ToLowerInvariant();
            if (!SchoolStore.IsSlug(s)) throw new ArgumentException($"slug '{s}' must be 1-40 of a-z, 0-9, '_', '.', '-'");
            foreach (var (v, what) in new[] { (p.GetValue(from), "--from"), (p.GetValue(replyTo), "--reply-to") })
                if (v is not null && Core.Sending.EmailAddress.Normalise(v, out var problem) is null) throw new ArgumentException($"{what} '{v}': {problem}");
            var r = p.GetValue(region)!.Trim().ToUpperInvariant();
            if (PhoneNumbers.PhoneNumberUtil.GetInstance().GetCountryCodeForRegion(r) == 0) throw new ArgumentException($"--region '{r}' is not a region code like GB or US");
            var school = sp.GetRequiredService<SchoolStore>().Add(s, p.GetValue(name)!, p.GetValue(from), p.GetValue(fromName), p.GetValue(replyTo), r,
                p.GetValue(tracking) != "off", p.GetValue(timeZone)!, p.GetValue(digest)!);
            output.WriteLine($"school {school.Id} '{school.Slug}' added (time zone {school.TimeZone}, default digest {school.Digest})");
            return 0;
        }));
        var list = new Command("list", "List schools.");
        list.SetAction(p => cli.Run(p, (sp, output) =>
        {
            foreach (var s in sp.GetRequiredService<SchoolStore>().List())
                output.WriteLine($"{s.Id}\t{s.Slug}\t{s.Name}\t{s.FromAddress}\t{s.TimeZone}\t{s.Digest}");
            return 0;
        }));
        schools.Subcommands.Add(add);
        schools.Subcommands.Add(list);
        schools.Subcommands.Add(Tracking(cli));
        schools.Subcommands.Add(Update(cli));
        return schools;
    }

    private static Option<string?> TimeZoneOption(string? fallback) => new("--timezone")
    {
        Description = "The school's time zone, an IANA name (e.g. Europe/London, America/New_York): digests go out at its local times",
        DefaultValueFactory = _ => fallback,
    };

    private static Option<string?> DigestOption(string? fallback) => new("--digest")
    {
        Description = "The school's default digest, for contacts whose digest is 'yes': daily@HH:MM or weekly:DAY@HH:MM (e.g. weekly:fri@17:00)",
        DefaultValueFactory = _ => fallback,
    };

    /// <summary><c>herald schools update SCHOOL [--timezone …] [--digest …] [--language en|es|browser]</c>: the school's clock
    /// and default digest, and the default language of its pages (used when a person has not chosen one; <c>browser</c>
    /// leaves it to each browser's Accept-Language).</summary>
    private static Command Update(CommandContext cli)
    {
        var cmd = new Command("update", "Change a school's time zone, default digest (announcements held from now on follow them) or pages' language.");
        var school = new Argument<string>("school") { Description = "The school's slug or id" };
        var timeZone = TimeZoneOption(null);
        var digest = DigestOption(null);
        var language = new Option<string?>("--language") { Description = $"Default language of its staff's pages: {string.Join(", ", Staff.StaffSignIn.Languages)}, or browser (the browser's choice)" };
        language.AcceptOnlyFromAmong([.. Staff.StaffSignIn.Languages, "browser"]);
        cmd.Arguments.Add(school);
        cmd.Options.Add(timeZone);
        cmd.Options.Add(digest);
        cmd.Options.Add(language);
        cmd.SetAction(p => cli.Run(p, (sp, output) =>
        {
            var store = sp.GetRequiredService<SchoolStore>();
            var s = store.Require(p.GetValue(school)!);
            if (p.GetValue(timeZone) is null && p.GetValue(digest) is null && p.GetValue(language) is null)
                throw new ArgumentException("nothing to change: give --timezone, --digest or --language");
            if (p.GetValue(timeZone) is not null || p.GetValue(digest) is not null) store.SetDigestClock(s.Id, p.GetValue(timeZone), p.GetValue(digest));
            if (p.GetValue(language) is { } l) store.SetLanguage(s.Id, l == "browser" ? null : l);
            var now = store.Get(s.Id)!;
            output.WriteLine($"school {now.Id} '{now.Slug}': time zone {now.TimeZone}, default digest {now.Digest}, language {now.Language ?? "browser"}");
            return 0;
        }));
        return cmd;
    }

    /// <summary><c>herald schools tracking SCHOOL on|off</c>: opens and clicks for the school's emails sent from now on.</summary>
    private static Command Tracking(CommandContext cli)
    {
        var cmd = new Command("tracking", "Switch opens-and-clicks tracking on or off for a school's emails (from the next message built).");
        var school = new Argument<string>("school") { Description = "The school's slug or id" };
        var state = new Argument<string>("state") { Description = "on or off" };
        state.AcceptOnlyFromAmong("on", "off");
        cmd.Arguments.Add(school);
        cmd.Arguments.Add(state);
        cmd.SetAction(p => cli.Run(p, (sp, output) =>
        {
            var store = sp.GetRequiredService<SchoolStore>();
            var s = store.Require(p.GetValue(school)!);
            store.SetTracking(s.Id, p.GetValue(state) == "on");
            output.WriteLine($"school {s.Id} '{s.Slug}': tracking {p.GetValue(state)}");
            return 0;
        }));
        return cmd;
    }
}

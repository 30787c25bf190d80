using System.CommandLine;
using System.Text.Json;
using Herald.Addresses;
using Herald.Contacts;
using Herald.Core.Deliveries;
using Herald.Hosting;
using Herald.Reports;
using Herald.Schools;
using Herald.Storage;
using Spectre.Console;

namespace Herald.Cli;

/// <summary>Operator commands that work on the database directly (no running server needed).</summary>
public static class AdminCommands
{
    private static readonly JsonSerializerOptions Json = CreateJson();

    private static JsonSerializerOptions CreateJson()
    {
        var o = new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = false };
        HeraldApp.ConfigureJson(o);
        return o;
    }

    /// <summary>Settings that override appsettings.json and the environment for the current async flow
    /// (set by <c>HeraldCli.RunAsync</c>; lets tests run commands in parallel without process-wide variables).</summary>
    internal static readonly AsyncLocal<IReadOnlyDictionary<string, string?>?> Overrides = new();

    /// <summary>A stream that stands for standard input in the current async flow (set by <c>HeraldCli.RunAsync</c>, so
    /// tests can pipe a message into a command without touching the process's own standard input).</summary>
    internal static readonly AsyncLocal<Stream?> Input = new();

    /// <summary>Standard input, or the stream a test gave for this call.</summary>
    public static Stream OpenInput() => Input.Value ?? System.Console.OpenStandardInput();

    /// <summary>Opens Herald's services from appsettings.json and HERALD__ variables, migrating the database.</summary>
    public static IServiceProvider Services()
    {
        var builder = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables();
        if (Overrides.Value is { } overrides) builder.AddInMemoryCollection(overrides);
        var config = builder.Build();
        var sp = new ServiceCollection().AddHeraldCore(config).BuildServiceProvider();
        sp.GetRequiredService<Database>().Migrate();
        return sp;
    }

    /// <summary>Runs a command body, turning expected failures into a message and exit code 1 (never a stack trace).</summary>
    private static int Run(ParseResult p, Func<IServiceProvider, TextWriter, int> body)
    {
        try { return body(Services(), p.InvocationConfiguration.Output); }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IOException or UnauthorizedAccessException or CsvImport.FileRejected or FormatException)
        {
            p.InvocationConfiguration.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    private static School RequireSchool(IServiceProvider sp, string slug) =>
        sp.GetRequiredService<SchoolStore>().Find(slug) ?? throw new InvalidOperationException($"no school '{slug}' (see 'herald schools list')");

    public static IEnumerable<Command> Create()
    {
        yield return Serve();
        yield return Schools();
        yield return Keys();
        yield return Contacts();
        yield return Report();
        yield return AnnouncementsCmd();
        yield return Addresses();
    }

    private static Command Serve()
    {
        var cmd = new Command("serve", "Run Herald: the HTTP API, the dispatcher and the sandbox (or configured) transports.");
        cmd.SetAction(async (p, ct) =>
        {
            WebApplication app;
            try { app = HeraldApp.Build([]); }
            catch (InvalidOperationException e) { p.InvocationConfiguration.Error.WriteLine($"error: {e.Message}"); return 1; }
            await app.RunAsync(ct);
            return 0;
        });
        return cmd;
    }

    private static Command Schools()
    {
        var schools = new Command("schools", "Manage schools (tenants).");
        var add = new Command("add", "Add a school.");
        var slug = new Argument<string>("slug") { Description = "Short unique name, e.g. 'hillside'" };
        var name = new Option<string>("--name") { Description = "Display name", Required = true };
        var from = new Option<string?>("--from") { Description = "The school's white-labelled From address" };
        var fromName = new Option<string?>("--from-name") { Description = "Display name for From" };
        var replyTo = new Option<string?>("--reply-to") { Description = "Reply-To address" };
        var region = new Option<string>("--region") { Description = "Default region for national phone numbers (ISO 3166, e.g. GB)", DefaultValueFactory = _ => "GB" };
        add.Arguments.Add(slug);
        foreach (var o in new Option[] { name, from, fromName, replyTo, region }) add.Options.Add(o);
        add.SetAction(p => Run(p, (sp, output) =>
        {
            var s = p.GetValue(slug)!.Trim().ToLowerInvariant();
            if (!ContactRules.IsCategory(s)) throw new ArgumentException($"slug '{s}' must be 1-40 of a-z, 0-9, '_', '.', '-'");
            foreach (var (v, what) in new[] { (p.GetValue(from), "--from"), (p.GetValue(replyTo), "--reply-to") })
                if (v is not null && Core.Sending.EmailAddress.Normalise(v, out var problem) is null) throw new ArgumentException($"{what} '{v}': {problem}");
            var r = p.GetValue(region)!.Trim().ToUpperInvariant();
            if (PhoneNumbers.PhoneNumberUtil.GetInstance().GetCountryCodeForRegion(r) == 0) throw new ArgumentException($"--region '{r}' is not a region code like GB or US");
            var school = sp.GetRequiredService<SchoolStore>().Add(s, p.GetValue(name)!, p.GetValue(from), p.GetValue(fromName), p.GetValue(replyTo), r);
            output.WriteLine($"school {school.Id} '{school.Slug}' added");
            return 0;
        }));
        var list = new Command("list", "List schools.");
        list.SetAction(p => Run(p, (sp, output) =>
        {
            foreach (var s in sp.GetRequiredService<SchoolStore>().List()) output.WriteLine($"{s.Id}\t{s.Slug}\t{s.Name}\t{s.FromAddress}");
            return 0;
        }));
        schools.Subcommands.Add(add);
        schools.Subcommands.Add(list);
        return schools;
    }

    private static Command Keys()
    {
        var keys = new Command("keys", "Manage API keys.");
        var create = new Command("create", "Create an API key; it is shown once and stored only as a hash.");
        var school = new Option<string?>("--school") { Description = "The school (slug or id) the key acts for" };
        var op = new Option<bool>("--operator") { Description = "An operator key: every school, events and support actions" };
        var name = new Option<string>("--name") { Description = "A label for the key", DefaultValueFactory = _ => "api" };
        create.Options.Add(school); create.Options.Add(op); create.Options.Add(name);
        create.SetAction(p => Run(p, (sp, output) =>
        {
            var slug = p.GetValue(school);
            if (slug is null == !p.GetValue(op)) throw new ArgumentException("give either --school SLUG or --operator");
            long? id = slug is null ? null : RequireSchool(sp, slug).Id;
            output.WriteLine(sp.GetRequiredService<SchoolStore>().CreateKey(id, p.GetValue(name)!, p.GetValue(op)));
            return 0;
        }));
        keys.Subcommands.Add(create);
        return keys;
    }

    private static Command Contacts()
    {
        var contacts = new Command("contacts", "Contacts: import and full log.");
        var import = new Command("import", "Import contacts from a CSV file (valid rows in one transaction; errors per line).");
        var school = new Option<string>("--school") { Description = "School slug or id", Required = true };
        var file = new Argument<FileInfo>("file") { Description = "CSV with header " + string.Join(",", CsvImport.Columns) };
        import.Options.Add(school); import.Arguments.Add(file);
        import.SetAction(p => Run(p, (sp, output) =>
        {
            var s = RequireSchool(sp, p.GetValue(school)!);
            var f = p.GetValue(file)!;
            if (!f.Exists) throw new IOException($"cannot read '{f.FullName}': no such file");
            if (f.Length > CsvImport.MaxBytes) throw new IOException($"'{f.FullName}' is larger than {CsvImport.MaxBytes} bytes");
            var r = sp.GetRequiredService<CsvImport>().Import(s.Id, s.DefaultRegion, File.ReadAllBytes(f.FullName));
            output.WriteLine($"imported {r.Imported}, rejected {r.Rejected}");
            foreach (var e in r.Errors) output.WriteLine($"error   line {e.Line}{(e.Column is null ? "" : $", {e.Column}")}: {e.Message}");
            foreach (var w in r.Warnings) output.WriteLine($"warning line {w.Line}{(w.Column is null ? "" : $", {w.Column}")}: {w.Message}");
            return r.Errors.Count > 0 ? 2 : 0;
        }));
        var log = new Command("log", "A contact's full log: every attempt and event, oldest first.");
        var id = new Argument<long>("id") { Description = "Contact id" };
        var json = new Option<bool>("--json") { Description = "One JSON object" };
        var logSchool = new Option<string?>("--school") { Description = "School slug or id (default: the contact's school)" };
        log.Arguments.Add(id); log.Options.Add(json); log.Options.Add(logSchool);
        log.SetAction(p => Run(p, (sp, output) =>
        {
            var contactId = p.GetValue(id);
            var schoolId = p.GetValue(logSchool) is { } slug ? RequireSchool(sp, slug).Id : SchoolOfContact(sp, contactId);
            var entries = sp.GetRequiredService<ReportQueries>().Log(schoolId, contactId, 1, 100_000)
                ?? throw new InvalidOperationException($"no contact {contactId}");
            if (p.GetValue(json)) { output.WriteLine(JsonSerializer.Serialize(entries, Json)); return 0; }
            var table = new Table().AddColumns("when", "announcement", "channel", "attempt", "status", "source", "detail");
            foreach (var e in entries.Items)
                table.AddRow(Markup.Escape(e.At.ToString("u")), e.AnnouncementId?.ToString() ?? "", e.Channel ?? "", e.Attempt?.ToString() ?? "",
                    Markup.Escape((e.Status ?? "") + (e.ChangedStatus || e.Status is null ? "" : " (no change)")), Markup.Escape(e.Actor is null ? e.Source : $"{e.Source} ({e.Actor})"), Markup.Escape(e.Detail ?? ""));
            Console(output).Write(table);
            return 0;
        }));
        contacts.Subcommands.Add(import);
        contacts.Subcommands.Add(log);
        return contacts;
    }

    private static long SchoolOfContact(IServiceProvider sp, long contactId)
    {
        using var c = sp.GetRequiredService<Database>().Open();
        return Dapper.SqlMapper.ExecuteScalar<long?>(c, "SELECT school_id FROM contacts WHERE id = @contactId UNION SELECT school_id FROM events WHERE contact_id = @contactId", new { contactId })
            ?? throw new InvalidOperationException($"no contact {contactId}");
    }

    private static Command Report()
    {
        var report = new Command("report", "The statistics report of an announcement.");
        var id = new Argument<long>("id") { Description = "Announcement id" };
        var json = new Option<bool>("--json") { Description = "One JSON object" };
        var status = new Option<string?>("--status") { Description = "Only recipients in this status" };
        report.Arguments.Add(id); report.Options.Add(json); report.Options.Add(status);
        report.SetAction(p => Run(p, (sp, output) =>
        {
            var aid = p.GetValue(id);
            using var c = sp.GetRequiredService<Database>().Open();
            var schoolId = Dapper.SqlMapper.ExecuteScalar<long?>(c, "SELECT school_id FROM announcements WHERE id = @aid", new { aid })
                ?? throw new InvalidOperationException($"no announcement {aid}");
            DeliveryStatus? st = p.GetValue(status) is { } s ? Wire.ParseStatus(s) : null;
            var r = sp.GetRequiredService<ReportQueries>().Report(schoolId, aid, st, null, 1, 100_000)!;
            if (p.GetValue(json)) { output.WriteLine(JsonSerializer.Serialize(r, Json)); return 0; }
            var console = Console(output);
            console.WriteLine($"Announcement {r.AnnouncementId}: {r.Subject} ({r.State})");
            if (r.QueuedTooLong > 0) console.WriteLine($"ALERT: {r.QueuedTooLong} deliveries queued for more than 30 minutes - contact support");
            foreach (var (channel, counts) in r.Counts)
            {
                var t = new Table().Title(channel).AddColumns("status", "count");
                foreach (var (k, v) in counts) t.AddRow(k, v.ToString());
                console.Write(t);
            }
            var lines = new Table().AddColumns("contact", "channel", "address", "status", "when", "reason", "what to do");
            foreach (var l in r.Recipients.Items)
                lines.AddRow(Markup.Escape(l.ContactName ?? $"#{l.ContactId}"), l.Channel, Markup.Escape(l.Address ?? ""), l.Status + (l.QueuedTooLong ? " (!)" : ""),
                    l.At.ToString("u"), Markup.Escape(l.Reason ?? ""), Markup.Escape(l.Explanation + (l.Action is null ? "" : " " + l.Action)));
            console.Write(lines);
            return 0;
        }));
        return report;
    }

    private static Command AnnouncementsCmd()
    {
        var announcements = new Command("announcements", "Announcements: resend.");
        var resend = new Command("resend", "Resend an announcement to recipients in chosen statuses, or to chosen contacts (a new attempt against the current profile).");
        var id = new Argument<long>("id") { Description = "Announcement id" };
        var status = new Option<string?>("--status") { Description = "Comma-separated statuses, e.g. email_missing,dropped" };
        var contact = new Option<long[]>("--contact") { Description = "Contact id (repeatable)", AllowMultipleArgumentsPerToken = true };
        var channel = new Option<string?>("--channel") { Description = "email or sms (default both)" };
        var dry = new Option<bool>("--dry-run") { Description = "Only say what would be resent and why others would be skipped" };
        var force = new Option<bool>("--force") { Description = "Also resend recipients already reached (logged as forced)" };
        var by = new Option<string>("--by") { Description = "Who resends", DefaultValueFactory = _ => Environment.UserName };
        var key = new Option<string?>("--idempotency-key") { Description = "Running the same command twice with the same key resends once" };
        var json = new Option<bool>("--json") { Description = "One JSON object" };
        resend.Arguments.Add(id);
        foreach (var o in new Option[] { status, contact, channel, dry, force, by, key, json }) resend.Options.Add(o);
        resend.SetAction(p => Run(p, (sp, output) =>
        {
            var aid = p.GetValue(id);
            using var c = sp.GetRequiredService<Database>().Open();
            var schoolId = Dapper.SqlMapper.ExecuteScalar<long?>(c, "SELECT school_id FROM announcements WHERE id = @aid", new { aid })
                ?? throw new InvalidOperationException($"no announcement {aid}");
            var a = sp.GetRequiredService<Announcements.AnnouncementStore>().Get(schoolId, aid)!;
            if (a.State != "sent") throw new InvalidOperationException($"announcement {aid} has not been sent yet");
            var input = new Announcements.ResendInput(p.GetValue(status)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
                p.GetValue(contact), p.GetValue(channel) is { } ch ? [ch] : null, p.GetValue(force), p.GetValue(dry), p.GetValue(by));
            Announcements.ResendResult r;
            try { r = sp.GetRequiredService<Announcements.Resender>().Resend(sp.GetRequiredService<SchoolStore>().Get(schoolId)!, a, input, p.GetValue(key)); }
            catch (Announcements.Resender.Invalid e) { throw new ArgumentException($"{e.Field}: {e.Message}"); }
            if (p.GetValue(json)) { output.WriteLine(JsonSerializer.Serialize(r, Json)); return 0; }
            output.WriteLine($"{(r.DryRun ? "would resend" : r.Replayed ? "already done with this key: resent" : "resent")} {r.Resent}");
            foreach (var (chn, counts) in r.Outcomes)
                foreach (var (st, n) in counts) output.WriteLine($"  {chn} {st}: {n}");
            foreach (var g in r.Skipped.GroupBy(x => x.Why)) output.WriteLine($"skipped {g.Count()}: {g.Key}");
            return 0;
        }));
        announcements.Subcommands.Add(resend);
        return announcements;
    }

    private static Command Addresses()
    {
        var addresses = new Command("addresses", "Failed and suppressed addresses.");
        var reset = new Command("reset", "Reset a failed or suppressed address so it can be used again (logged with who and why).");
        var address = new Argument<string>("address") { Description = "Email address, or an E.164 number with --sms" };
        var by = new Option<string>("--by") { Description = "Who resets it", Required = true };
        var why = new Option<string>("--why") { Description = "Why", Required = true };
        var sms = new Option<bool>("--sms") { Description = "The address is a mobile number" };
        var school = new Option<string?>("--school") { Description = "Only in this school (default: every school)" };
        var resendDays = new Option<int?>("--resend-dropped-days") { Description = "Also resend what was dropped for this address in the last N days" };
        reset.Arguments.Add(address); reset.Options.Add(by); reset.Options.Add(why); reset.Options.Add(sms); reset.Options.Add(school); reset.Options.Add(resendDays);
        reset.SetAction(p => Run(p, (sp, output) =>
        {
            var channel = p.GetValue(sms) ? Channel.Sms : Channel.Email;
            var raw = p.GetValue(address)!.Trim();
            var a = AddressReset.Normalise(raw, channel);
            if (string.IsNullOrWhiteSpace(p.GetValue(by)) || string.IsNullOrWhiteSpace(p.GetValue(why))) throw new ArgumentException("--by and --why must not be empty");
            long? s = p.GetValue(school) is { } slug ? RequireSchool(sp, slug).Id : null;
            if (p.GetValue(resendDays) is < 1 or > 365) throw new ArgumentException("--resend-dropped-days must be between 1 and 365");
            var r = sp.GetRequiredService<AddressReset>().Reset(a, channel, p.GetValue(by)!, p.GetValue(why)!, s);
            if (r.Schools.Count == 0) throw new InvalidOperationException($"'{a}' is not marked failed or suppressed");
            output.WriteLine($"{a} reset in {r.Schools.Count} school(s)");
            if (p.GetValue(resendDays) is { } days)
            {
                foreach (var rr in sp.GetRequiredService<AddressResend>().ResendDropped(r, channel, days, p.GetValue(by)!))
                    output.WriteLine($"announcement {rr.AnnouncementId}: resent {rr.Resent}");
            }
            return 0;
        }));
        addresses.Subcommands.Add(reset);
        return addresses;
    }

    private static IAnsiConsole Console(TextWriter output) =>
        AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
}

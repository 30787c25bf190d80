using System.CommandLine;
using System.Text.Json;
using Herald.Commands;
using Herald.Reports;
using Herald.Schools;
using Herald.Storage;
using Spectre.Console;

namespace Herald.Contacts;

/// <summary><c>herald contacts …</c>: CSV import and a contact's full log.</summary>
public static class ContactsCommands
{
    public static Command Contacts(CommandContext cli)
    {
        var contacts = new Command("contacts", "Contacts: import and full log.");
        var import = new Command("import", "Import contacts from a CSV file (valid rows in one transaction; errors per line).");
        var school = new Option<string>("--school") { Description = "School slug or id", Required = true };
        var file = new Argument<FileInfo>("file") { Description = "CSV with header " + string.Join(",", CsvImport.Columns) };
        import.Options.Add(school); import.Arguments.Add(file);
        import.SetAction(p => cli.Run(p, (sp, output) =>
        {
            var s = sp.GetRequiredService<SchoolStore>().Require(p.GetValue(school)!);
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
        log.SetAction(p => cli.Run(p, (sp, output) =>
        {
            var contactId = p.GetValue(id);
            var schoolId = p.GetValue(logSchool) is { } slug ? sp.GetRequiredService<SchoolStore>().Require(slug).Id : SchoolOfContact(sp, contactId);
            var entries = sp.GetRequiredService<ReportQueries>().Log(schoolId, contactId, 1, 100_000)
                ?? throw new InvalidOperationException($"no contact {contactId}");
            if (p.GetValue(json)) { output.WriteLine(JsonSerializer.Serialize(entries, cli.Json)); return 0; }
            var table = new Table().AddColumns("when", "announcement", "channel", "attempt", "status", "source", "detail");
            foreach (var e in entries.Items)
                table.AddRow(Markup.Escape(e.At.ToString("u")), e.AnnouncementId?.ToString() ?? "", e.Channel ?? "", e.Attempt?.ToString() ?? "",
                    Markup.Escape((e.Status ?? "") + (e.ChangedStatus || e.Status is null ? "" : " (no change)")), Markup.Escape(e.Key is { } k ? $"{e.Source} (key {k.Id} '{k.Name}')" : e.Actor is null ? e.Source : $"{e.Source} ({e.Actor})"), Markup.Escape(e.Detail ?? ""));
            CommandContext.Console(output).Write(table);
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
}

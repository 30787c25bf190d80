using System.CommandLine;
using System.Text.Json;
using Herald.Commands;
using Herald.Core.Deliveries;
using Herald.Storage;
using Spectre.Console;

namespace Herald.Reports;

/// <summary><c>herald report ID</c>: an announcement's statistics report.</summary>
public static class ReportCommand
{
    public static Command Report(CommandContext cli)
    {
        var report = new Command("report", "The statistics report of an announcement.");
        var id = new Argument<long>("id") { Description = "Announcement id" };
        var json = new Option<bool>("--json") { Description = "One JSON object" };
        var status = new Option<string?>("--status") { Description = "Only recipients in this status" };
        report.Arguments.Add(id); report.Options.Add(json); report.Options.Add(status);
        report.SetAction(p => cli.Run(p, (sp, output) =>
        {
            var aid = p.GetValue(id);
            using var c = sp.GetRequiredService<Database>().Open();
            var schoolId = Dapper.SqlMapper.ExecuteScalar<long?>(c, "SELECT school_id FROM announcements WHERE id = @aid", new { aid })
                ?? throw new InvalidOperationException($"no announcement {aid}");
            DeliveryStatus? st = p.GetValue(status) is { } s ? Wire.ParseStatus(s) : null;
            var r = sp.GetRequiredService<ReportQueries>().Report(schoolId, aid, st, null, 1, 100_000)!;
            if (p.GetValue(json)) { output.WriteLine(JsonSerializer.Serialize(r, cli.Json)); return 0; }
            var console = CommandContext.Console(output);
            console.WriteLine($"Announcement {r.AnnouncementId}: {r.Subject} ({r.State})");
            if (r.QueuedTooLong > 0) console.WriteLine($"ALERT: {r.QueuedTooLong} deliveries queued for more than 30 minutes - contact support");
            foreach (var (channel, counts) in r.Counts)
            {
                var t = new Table().Title(channel).AddColumns("status", "count");
                foreach (var (k, v) in counts) t.AddRow(k, v.ToString());
                // Apart from the statuses: recipients whose message only machines opened (docs/preferences.md (opens and clicks)).
                if (channel == "email" && r.Tracking is { OpenedLikelyAutomated: > 0 } tracking)
                    t.AddRow("opened (likely automated)", tracking.OpenedLikelyAutomated.ToString());
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
}

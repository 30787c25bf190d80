using System.CommandLine;
using System.Text.Json;
using Herald.Commands;
using Herald.Schools;
using Herald.Storage;

namespace Herald.Announcements;

/// <summary><c>herald announcements resend …</c>.</summary>
public static class AnnouncementsCommands
{
    public static Command AnnouncementsCmd(CommandContext cli)
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
        resend.SetAction(p => cli.Run(p, (sp, output) =>
        {
            var aid = p.GetValue(id);
            using var c = sp.GetRequiredService<Database>().Open();
            var schoolId = Dapper.SqlMapper.ExecuteScalar<long?>(c, "SELECT school_id FROM announcements WHERE id = @aid", new { aid })
                ?? throw new InvalidOperationException($"no announcement {aid}");
            var a = sp.GetRequiredService<AnnouncementStore>().Get(schoolId, aid)!;
            if (a.State != "sent") throw new InvalidOperationException($"announcement {aid} has not been sent yet");
            var input = new ResendInput(p.GetValue(status)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
                p.GetValue(contact), p.GetValue(channel) is { } ch ? [ch] : null, p.GetValue(force), p.GetValue(dry), p.GetValue(by));
            ResendResult r;
            // The command line has no API key: its idempotency keys are their own scope (key id 0; API keys' ids start at 1).
            var scoped = p.GetValue(key) is { Length: > 0 } k ? new ResendKey(0, k) : null;
            try { r = sp.GetRequiredService<Resender>().Resend(sp.GetRequiredService<SchoolStore>().Get(schoolId)!, a, input, scoped); }
            catch (Resender.Invalid e) { throw new ArgumentException($"{e.Field}: {e.Message}"); }
            catch (Resender.KeyReused e) { throw new ArgumentException(e.Message); }
            if (p.GetValue(json)) { output.WriteLine(JsonSerializer.Serialize(r, cli.Json)); return 0; }
            output.WriteLine($"{(r.DryRun ? "would resend" : r.Replayed ? "already done with this key: resent" : "resent")} {r.Resent}");
            foreach (var (chn, counts) in r.Outcomes)
                foreach (var (st, n) in counts) output.WriteLine($"  {chn} {st}: {n}");
            foreach (var g in r.Skipped.GroupBy(x => x.Why)) output.WriteLine($"skipped {g.Count()}: {g.Key}");
            return 0;
        }));
        announcements.Subcommands.Add(resend);
        announcements.Subcommands.Add(ReachCmd(cli));
        return announcements;
    }

    /// <summary><c>herald announcements reach ID [--school S] [--csv] [--json]</c>: the reach check, read-only.</summary>
    private static Command ReachCmd(CommandContext cli)
    {
        var reach = new Command("reach", "Without sending: how many contacts each channel will reach, who gets a fallback, and who no channel reaches (the paper list).");
        var id = new Argument<long>("id") { Description = "Announcement id" };
        var school = new Option<string?>("--school") { Description = "School slug or id (default: the announcement's school)" };
        var csv = new Option<bool>("--csv") { Description = "Only the paper list, as CSV" };
        var json = new Option<bool>("--json") { Description = "One JSON object" };
        reach.Arguments.Add(id);
        foreach (var o in new Option[] { school, csv, json }) reach.Options.Add(o);
        reach.SetAction(p => cli.Run(p, (sp, output) =>
        {
            var aid = p.GetValue(id);
            var schools = sp.GetRequiredService<SchoolStore>();
            School s;
            if (p.GetValue(school) is { } slug) s = schools.Require(slug);
            else
            {
                using var c = sp.GetRequiredService<Database>().Open();
                var sid = Dapper.SqlMapper.ExecuteScalar<long?>(c, "SELECT school_id FROM announcements WHERE id = @aid", new { aid })
                    ?? throw new InvalidOperationException($"no announcement {aid}");
                s = schools.Get(sid)!;
            }
            var r = sp.GetRequiredService<ReachCheck>().Check(s, aid) ?? throw new InvalidOperationException($"no announcement {aid} in school '{s.Slug}'");
            if (p.GetValue(csv)) { output.Write(ReachCheck.PaperListCsv(r)); return 0; }
            if (p.GetValue(json)) { output.WriteLine(JsonSerializer.Serialize(r, cli.Json)); return 0; }
            output.WriteLine($"announcement {r.AnnouncementId} ({r.State}{(r.Essential ? ", essential" : "")}): {r.Reached} of {r.Recipients} contacts reached");
            foreach (var (ch, x) in r.Channels) output.WriteLine($"  {ch}: {x.Reached}{(x.ByFallback > 0 ? $" ({x.ByFallback} by fallback)" : "")}");
            foreach (var f in r.Fallbacks) output.WriteLine($"fallback: contact {f.ContactId} {f.Name} ({f.ExternalId}): {f.From} -> {f.To}: {f.Why}");
            output.WriteLine($"paper list: {r.Unreachable.Count}");
            foreach (var u in r.Unreachable)
                output.WriteLine($"  contact {u.ContactId} {u.Name} ({u.ExternalId}): {string.Join("; ", u.Reasons.Select(x => $"{x.Key}: {x.Value}"))}");
            return 0;
        }));
        return reach;
    }
}

using System.CommandLine;
using System.Text.Json;
using Herald.Core.Bounces;
using Spectre.Console;

namespace Herald.Bounces;

/// <summary><c>herald bounces ...</c>: bounce analysis without a database or a server.</summary>
public static class BouncesCommand
{
    public static Command Create()
    {
        var bounces = new Command("bounces", "Analyse bounce, complaint and auto-reply messages.");
        bounces.Subcommands.Add(Classify());
        return bounces;
    }

    private static Command Classify()
    {
        var json = new Option<bool>("--json") { Description = "One JSON line per file (the score-bounces format)." };
        var paths = new Argument<string[]>("PATH") { Description = "Message files, or folders searched recursively for *.eml.", Arity = ArgumentArity.OneOrMore };
        var cmd = new Command("classify", "Classify each message: kind, and per recipient status, reason and hard/soft.") { json, paths };
        cmd.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            return Run(parse.GetValue(paths) ?? [], parse.GetValue(json), output, error);
        });
        return cmd;
    }

    /// <summary>Classifies every file; an unreadable path is named on stderr and the rest still run (exit 1).</summary>
    internal static int Run(IEnumerable<string> paths, bool json, TextWriter output, TextWriter error)
    {
        int failures = 0;
        var rows = new List<(string File, BounceReport Report)>();
        foreach (var file in Expand(paths, error, ref failures))
        {
            BounceReport report;
            try { report = BounceAnalyzer.AnalyzeFile(file); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                error.WriteLine($"herald: cannot read {file}: {e.Message}");
                failures++;
                continue;
            }
            if (json) output.WriteLine(JsonLine(file, report));
            else rows.Add((file, report));
        }
        if (!json) WriteTable(rows, output);
        return failures == 0 ? 0 : 1;
    }

    private static IEnumerable<string> Expand(IEnumerable<string> paths, TextWriter error, ref int failures)
    {
        var files = new List<string>();
        foreach (var p in paths)
        {
            if (Directory.Exists(p))
            {
                try { files.AddRange(Directory.EnumerateFiles(p, "*.eml", SearchOption.AllDirectories).Order(StringComparer.Ordinal)); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { error.WriteLine($"herald: cannot read {p}: {e.Message}"); failures++; }
            }
            else if (File.Exists(p)) files.Add(p);
            else { error.WriteLine($"herald: cannot read {p}: no such file or directory"); failures++; }
        }
        return files;
    }

    internal static string JsonLine(string file, BounceReport r)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteString("file", file);
            w.WriteString("kind", r.Kind.ToVocabulary());
            if (r.VerpToken is not null) w.WriteString("verp", r.VerpToken);
            if (r.OriginalMessageId is not null) w.WriteString("originalMessageId", r.OriginalMessageId);
            if (r.Error is not null) w.WriteString("error", r.Error);
            w.WriteStartArray("recipients");
            foreach (var x in r.Recipients)
            {
                w.WriteStartObject();
                w.WriteString("address", x.Address);
                w.WriteString("action", x.Action);
                w.WriteString("status", x.Status);
                w.WriteString("replyCode", x.ReplyCode);
                w.WriteString("reason", x.Reason.ToVocabulary());
                w.WriteBoolean("hard", x.Hard);
                w.WriteString("feedbackType", x.FeedbackType);
                w.WriteString("remoteMta", x.RemoteMta);
                w.WriteString("diagnostic", x.Diagnostic is { Length: > 500 } d ? d[..500] : x.Diagnostic);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    private static void WriteTable(List<(string File, BounceReport Report)> rows, TextWriter output)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.Detect });
        var table = new Table().AddColumns("File", "Kind", "Recipient", "Action", "Status", "Reply", "Reason", "Hard");
        foreach (var (file, r) in rows)
        {
            var name = Markup.Escape(Path.GetFileName(file));
            if (r.Recipients.Count == 0) table.AddRow(name, r.Kind.ToVocabulary(), "", "", "", "", "", "");
            foreach (var x in r.Recipients)
                table.AddRow(name, r.Kind.ToVocabulary(), Markup.Escape(x.Address), x.Action, x.Status ?? "", x.ReplyCode ?? "",
                    x.Reason.ToVocabulary(), x.Hard ? "hard" : "soft");
        }
        console.Write(table);
    }
}

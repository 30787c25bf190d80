using System.CommandLine;
using System.Data.Common;
using System.Security.Cryptography;
using System.Text.Json;
using Herald.Core.Bounces;
using Spectre.Console;
using Herald.Observability;
using Herald.Storage;

namespace Herald.Bounces;

/// <summary><c>herald bounces ...</c>: bounce analysis without a database or a server, and <c>receive</c>, which records
/// one returned message piped in by the mail system.</summary>
public static class BouncesCommand
{
    /// <summary>EX_TEMPFAIL (sysexits.h): the mail system keeps the message and offers it again later.</summary>
    public const int TempFail = 75;

    /// <summary>How much of an oversized message <c>receive</c> keeps: the head, where the header fields and the
    /// human-readable and delivery-status parts of a report are; enough for a person to see what it was.</summary>
    internal const int OversizedHeadBytes = 64 * 1024;

    /// <param name="services">Opens Herald's services on its database (the CLI's settings), migrating it.</param>
    /// <param name="input">The stream <c>receive</c> reads the message from (standard input, or a test's bytes).</param>
    public static Command Create(Func<IServiceProvider> services, Func<Stream> input)
    {
        var bounces = new Command("bounces", "Analyse bounce, complaint and auto-reply messages; record returned mail piped in.");
        bounces.Subcommands.Add(Classify());
        bounces.Subcommands.Add(Receive(services, input));
        return bounces;
    }

    private static Command Receive(Func<IServiceProvider> services, Func<Stream> input)
    {
        var cmd = new Command("receive",
            "Read one returned message on standard input and record it as the bounce mailbox reader does (for an MTA's pipe " +
            "transport or procmail). Exit 0: recorded, or kept aside in DATA/bounces/unmatched/ (or, larger than " +
            "Herald:Email:Bounces:MaxMessageBytes, its head in DATA/bounces/oversized/); exit 75: the database is " +
            "unavailable, the mail system should try again later.");
        // The input is not disposed here: standard input is the process's, a test's stream the test's.
        cmd.SetAction(parse => Receive(services, input(), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));
        return cmd;
    }

    /// <summary>
    /// Reads one message, records it through <see cref="BounceMailProcessor"/>, and keeps aside (in the data folder's
    /// <c>bounces/unmatched/</c>) what it cannot use. Exit 0 only once the message is safe in the database or in that
    /// folder, because the mail system then deletes its copy; anything that leaves it in neither exits
    /// <see cref="TempFail"/>, so the mail system keeps it and tries again.
    /// </summary>
    internal static int Receive(Func<IServiceProvider> services, Stream input, TextWriter output, TextWriter error)
    {
        // Settings first: they give the size cap. Failing here exits 75 before anything is read, and the mail system
        // keeps the whole message (its pipe reports the exit status, not the unread input).
        IServiceProvider sp;
        try { sp = services(); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Settings are read, the SQLite folder created and the database migrated here: any failure is one of the three.
            return Defer(error, Unavailable(e) is { } why ? $"the database is unavailable: {why}"
                : e is IOException or UnauthorizedAccessException ? $"the data folder cannot be used: {e.Message}"
                : $"Herald's settings cannot be used: {e.Message}");
        }

        try
        {
            var max = sp.GetRequiredService<Herald.Email.EmailOptions>().Bounces.MaxMessageBytes;
            byte[] raw;
            try { raw = ReadAtMost(input, max + 1); }
            catch (Exception e) when (e is IOException or NotSupportedException or ObjectDisposedException)
            {
                return Defer(error, $"cannot read the message on standard input: {e.Message}");
            }
            var data = Path.GetFullPath(sp.GetRequiredService<DataFolder>().Path);
            if (raw.Length > max) return KeepOversized(Path.Combine(data, "bounces", "oversized"), raw, max, error);

            var result = sp.GetRequiredService<BounceMailProcessor>().Process(raw);
            if (result.Handled)
            {
                output.WriteLine($"herald: {result.Label}: {result.Summary}");
                return 0;
            }
            var folder = Path.Combine(data, "bounces", "unmatched");
            string file;
            try { file = KeepAside(folder, raw, result.Label); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return Defer(error, $"cannot keep the {result.Label} message aside in {folder}: {e.Message}");
            }
            error.WriteLine($"herald: kept aside ({result.Label}): {result.Summary}; written to {file}");
            return 0;
        }
        catch (Exception e) when (Unavailable(e) is { } why) { return Defer(error, $"the database is unavailable: {why}"); }
        // Exit 0 would make the mail system delete the message: whatever else went wrong, it must keep it.
        catch (Exception e) when (e is not OutOfMemoryException) { return Defer(error, $"unexpected {e.GetType().Name}: {e.Message}"); }
        finally { (sp as IDisposable)?.Dispose(); }
    }

    /// <summary>
    /// A message past the cap is neither parsed nor matched: its head goes to <paramref name="folder"/> and the reason to
    /// stderr (the mail system's log), and the exit is 0. Exit 75 instead would have the mail system offer the same
    /// message again and again until it expires, and the rest of it cannot be read anyway; what is lost is named.
    /// </summary>
    private static int KeepOversized(string folder, byte[] raw, int max, TextWriter error)
    {
        HeraldMetrics.BounceMail.WithLabels("oversized").Inc();
        var head = raw.AsSpan(0, Math.Min(raw.Length, OversizedHeadBytes)).ToArray();
        string file;
        try { file = KeepAside(folder, head, "oversized"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Defer(error, $"cannot keep the oversized message aside in {folder}: {e.Message}");
        }
        error.WriteLine($"herald: kept aside (oversized): larger than Herald:Email:Bounces:MaxMessageBytes ({max} bytes); not parsed; " +
            $"its first {head.Length} bytes written to {file}, the rest was not read");
        return 0;
    }

    /// <summary>Why the database could not be used, when <paramref name="e"/> says it could not (a migration wraps the
    /// driver's error); null for any other failure.</summary>
    private static string? Unavailable(Exception e) => e switch
    {
        DbException => e.Message,
        InvalidOperationException { InnerException: DbException inner } => inner.Message,
        _ => null,
    };

    /// <summary>One line on stderr (Postfix puts it in its log and the deferral reason), then EX_TEMPFAIL.</summary>
    private static int Defer(TextWriter error, string why)
    {
        // One line: settings problems come as an indented list, and the mail system logs the first line best.
        why = string.Join(" ", why.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
        error.WriteLine($"herald: {why.TrimEnd('.', ' ')}; the message was not taken (exit {TempFail}: the mail system keeps it and tries again later)");
        return TempFail;
    }

    /// <summary>At most <paramref name="limit"/> bytes: a huge message must not exhaust memory, and what is beyond the
    /// limit is never read.</summary>
    internal static byte[] ReadAtMost(Stream input, int limit)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        while (buffer.Length < limit)
        {
            var n = input.Read(chunk, 0, (int)Math.Min(chunk.Length, limit - buffer.Length));
            if (n == 0) break;
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }

    /// <summary>Writes the message under a name of its own (time, outcome, random part) and returns the path. Written
    /// under a temporary name and renamed, so the folder never shows half a message; flushed to disk first, because
    /// exit 0 then tells the mail system to delete its own copy.</summary>
    private static string KeepAside(string folder, byte[] raw, string label)
    {
        Directory.CreateDirectory(folder);
        var name = $"{DateTime.UtcNow:yyyyMMdd'T'HHmmss'.'fff'Z'}-{label}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}.eml";
        var path = Path.Combine(folder, name);
        var partial = path + ".part";
        using (var f = new FileStream(partial, FileMode.CreateNew, FileAccess.Write))
        {
            f.Write(raw);
            f.Flush(flushToDisk: true);
        }
        File.Move(partial, path);
        return path;
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

    /// <summary>
    /// Classifies every file; an unreadable path is named on stderr and the rest still run (exit 1). Files are analysed
    /// on every core (the analysis is pure and each file independent) but written in the order given, and JSON lines go
    /// out in blocks rather than one console write each: over thousands of files both dominate the run time.
    /// </summary>
    internal static int Run(IEnumerable<string> paths, bool json, TextWriter output, TextWriter error)
    {
        int failures = 0;
        var files = Expand(paths, error, ref failures);
        var rows = new List<(string File, BounceReport Report)>();
        var block = new System.Text.StringBuilder();
        foreach (var done in InOrder(files, json))
        {
            if (done.Report is null)
            {
                output.Write(block.ToString());
                block.Clear();
                error.WriteLine($"herald: cannot read {done.File}: {done.Error}");
                failures++;
                continue;
            }
            if (!json) { rows.Add((done.File, done.Report)); continue; }
            block.Append(done.Line).Append('\n');
            if (block.Length > 64 * 1024) { output.Write(block.ToString()); block.Clear(); }
        }
        output.Write(block.ToString());
        if (!json) WriteTable(rows, output);
        return failures == 0 ? 0 : 1;
    }

    private sealed class Analysed(string file)
    {
        public string File { get; } = file;
        public BounceReport? Report;
        public string? Error, Line;
        public Exception? Crash;
        public bool Done;
    }

    /// <summary>
    /// Each file analysed (and its JSON line written) on one of the cores, yielded in the order given. The calling thread
    /// is one of the workers: it hands over the next result when it is ready and otherwise analyses a file itself, so
    /// exactly one thread per core is busy. Plain threads and an array rather than PLINQ: a batch run is short, and
    /// PLINQ's generic machinery is compiled at run time (a hundred methods) even in a ReadyToRun build.
    /// </summary>
    private static IEnumerable<Analysed> InOrder(List<string> files, bool json)
    {
        var slots = new Analysed[files.Count];
        for (int i = 0; i < slots.Length; i++) slots[i] = new Analysed(files[i]);
        int claimed = -1, handed = 0;
        const int Ahead = 4096; // results held at most, so a slow reader of the output bounds memory

        bool Work()
        {
            int i = Interlocked.Increment(ref claimed);
            if (i >= slots.Length) return false;
            var slot = slots[i];
            try
            {
                (slot.Report, slot.Error) = Analyze(slot.File);
                if (json && slot.Report is not null) slot.Line = JsonLine(slot.File, slot.Report);
            }
            catch (Exception e) { slot.Crash = e; }
            lock (slot) { slot.Done = true; Monitor.PulseAll(slot); }
            return true;
        }

        var threads = new List<Thread>();
        for (int t = 1; t < Math.Min(Environment.ProcessorCount, slots.Length); t++)
        {
            var thread = new Thread(() =>
            {
                while (Volatile.Read(ref claimed) + 1 < slots.Length)
                {
                    if (Volatile.Read(ref claimed) - Volatile.Read(ref handed) > Ahead) { Thread.Sleep(1); continue; }
                    if (!Work()) break;
                }
            }) { IsBackground = true, Name = "classify" };
            thread.Start();
            threads.Add(thread);
        }
        for (; handed < slots.Length; Volatile.Write(ref handed, handed + 1))
        {
            var slot = slots[handed];
            while (!Volatile.Read(ref slot.Done) && Work()) { }
            lock (slot) while (!slot.Done) Monitor.Wait(slot);
            if (slot.Crash is { } crash) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(crash);
            slots[handed] = null!; // handed over: let it go
            yield return slot;
        }
        foreach (var thread in threads) thread.Join();
    }

    private static (BounceReport? Report, string? Error) Analyze(string file)
    {
        try { return (BounceAnalyzer.AnalyzeFile(file), null); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return (null, e.Message); }
    }

    private static List<string> Expand(IEnumerable<string> paths, TextWriter error, ref int failures)
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

    [ThreadStatic] private static System.Buffers.ArrayBufferWriter<byte>? jsonBuffer;
    [ThreadStatic] private static Utf8JsonWriter? jsonWriter;

    internal static string JsonLine(string file, BounceReport r)
    {
        // One buffer and writer per thread, reset per line: thousands of lines, no per-line stream.
        var ms = jsonBuffer ??= new System.Buffers.ArrayBufferWriter<byte>(4096);
        ms.ResetWrittenCount();
        var w = jsonWriter ??= new Utf8JsonWriter(ms);
        w.Reset(ms);
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
            w.Flush();
        }
        return System.Text.Encoding.UTF8.GetString(ms.WrittenSpan);
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

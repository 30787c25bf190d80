using System.Diagnostics;

namespace Herald.Tests.Servers;

/// <summary>
/// Postfix's <c>smtp-sink</c> on 127.0.0.1 and a random port: accepts every message and throws it
/// away, as fast as it can. For benchmarks of Herald's SMTP sending, where a real relay would be
/// the bottleneck. Each <see cref="StartAsync"/> starts a new one; dispose it (or let the test
/// process exit) to stop it.
/// </summary>
public sealed class SmtpSink : IAsyncDisposable
{
    private readonly Process process;

    public string Host => "127.0.0.1";
    public int Port { get; }

    /// <summary>With <c>dump: true</c>, the file every accepted transaction is appended to; otherwise null.</summary>
    public string? DumpFile { get; }

    private readonly string log;

    private SmtpSink(Process process, int port, string? dumpFile, string log) =>
        (this.process, Port, DumpFile, this.log) = (process, port, dumpFile, log);

    /// <summary>Starts a sink on <paramref name="port"/> (a free one when null). <paramref name="dump"/>: keep every
    /// transaction in <see cref="DumpFile"/>, so a test can count what arrived (<see cref="Received"/>).
    /// <paramref name="answerDelaySeconds"/>: a slow relay, waiting that many whole seconds before it answers the end of
    /// each message's data (<c>-W .:N</c>). The message is already in the dump while the sender waits for that 250, so a
    /// sender that dies or gives up meanwhile has delivered a message it does not know about: the window in which a
    /// crash or an unrecorded answer sends twice. (smtp-sink's <c>-w N</c> waits before the 354 answer to DATA instead,
    /// before the message is sent at all.) <paramref name="conversation"/>: log every command a client sends (<c>-v</c>),
    /// for <see cref="Commands"/>. The sink offers AUTH but never STARTTLS: a relay a client must not give a password to.</summary>
    public static async Task<SmtpSink> StartAsync(int? port = null, bool dump = false, int answerDelaySeconds = 0, bool conversation = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(answerDelaySeconds);
        int p = port ?? ServerHelpers.FreePort();
        string dir = ServerHelpers.CreateTempDir("smtp-sink"), log = Path.Combine(dir, "smtp-sink.log");
        string? dumpFile = dump ? Path.Combine(dir, "dump") : null;
        // smtp-sink writes the dump as nobody, after dropping root.
        if (dump && !OperatingSystem.IsWindows()) File.SetUnixFileMode(dir, (UnixFileMode)0b111_111_111);
        // -u: smtp-sink refuses to keep root privileges; 1000: listen backlog for load tests.
        var args = new List<string> { "-u", "nobody" };
        if (dump) args.AddRange(["-D", dumpFile!]);
        if (answerDelaySeconds > 0) args.AddRange(["-W", $".:{answerDelaySeconds}"]);
        if (conversation) args.Add("-v");
        args.AddRange([$"127.0.0.1:{p}", "1000"]);
        var process = ServerHelpers.StartBackground("smtp-sink", args, log);
        ServerHelpers.OnExit("smtp-sink", $"kill {process.Id} 2>/dev/null; rm -rf {dir}");
        await ServerHelpers.WaitForPortAsync("smtp-sink", p, ServerHelpers.Describe("smtp-sink", args), log, process);
        return new SmtpSink(process, p, dumpFile, log);
    }

    /// <summary>The envelope recipients of every transaction dumped so far (one entry per message).</summary>
    public IReadOnlyList<string> Received() => ReceivedWithHelo().Select(m => m.Recipient).ToList();

    /// <summary>Each message dumped so far as (the name the sender gave in EHLO/HELO, the envelope recipient): tells which
    /// of several senders delivered it.</summary>
    public IReadOnlyList<(string Helo, string Recipient)> ReceivedWithHelo()
    {
        if (DumpFile is null) throw new InvalidOperationException("start the sink with dump: true to count messages");
        if (!File.Exists(DumpFile)) return [];
        var messages = new List<(string, string)>();
        var helo = "";
        using var stream = new FileStream(DumpFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } l)
        {
            if (l.StartsWith("X-Helo-Args: ")) helo = l["X-Helo-Args: ".Length..].Trim();
            else if (l.StartsWith("X-Rcpt-Args: ")) messages.Add((helo, l["X-Rcpt-Args: ".Length..].Trim('<', '>', ' ')));
        }
        return messages;
    }

    /// <summary>With <c>conversation: true</c>, the command verbs clients have sent so far, upper case, in order
    /// (<c>EHLO</c>, <c>AUTH</c>, <c>MAIL</c>, …): smtp-sink -v logs each as "smtp-sink: verb args".</summary>
    public IReadOnlyList<string> Commands()
    {
        using var stream = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var verbs = new List<string>();
        string[] known = ["HELO", "EHLO", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA", "RSET", "NOOP", "QUIT", "VRFY"];
        while (reader.ReadLine() is { } l)
            if (l.StartsWith("smtp-sink: ", StringComparison.Ordinal)
                && l["smtp-sink: ".Length..].Split(' ')[0].ToUpperInvariant() is var verb && known.Contains(verb))
                verbs.Add(verb);
        return verbs;
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited) process.Kill();
        await process.WaitForExitAsync();
        process.Dispose();
    }
}

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

    private SmtpSink(Process process, int port) => (this.process, Port) = (process, port);

    public static async Task<SmtpSink> StartAsync()
    {
        int port = ServerHelpers.FreePort();
        string dir = ServerHelpers.CreateTempDir("smtp-sink"), log = Path.Combine(dir, "smtp-sink.log");
        // -u: smtp-sink refuses to keep root privileges; 1000: listen backlog for load tests.
        string[] args = ["-u", "nobody", $"127.0.0.1:{port}", "1000"];
        var process = ServerHelpers.StartBackground("smtp-sink", args, log);
        ServerHelpers.OnExit("smtp-sink", $"kill {process.Id} 2>/dev/null; rm -rf {dir}");
        await ServerHelpers.WaitForPortAsync("smtp-sink", port, ServerHelpers.Describe("smtp-sink", args), log, process);
        return new SmtpSink(process, port);
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited) process.Kill();
        await process.WaitForExitAsync();
        process.Dispose();
    }
}

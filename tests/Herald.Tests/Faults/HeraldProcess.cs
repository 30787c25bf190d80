using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using Herald.Tests.Api;
using Herald.Tests.Servers;

namespace Herald.Tests.Faults;

/// <summary>
/// Herald as an operator runs it: <c>dotnet herald.dll serve</c> in a child process of its own, with its own working
/// directory, configured only through <c>HERALD__SECTION__KEY</c> environment variables, listening on a free port of
/// 127.0.0.1. Its standard output and error go to files whose tails every failure message carries. A test can send it
/// SIGTERM (<see cref="Terminate"/>) or SIGKILL (<see cref="Kill"/>) and start another on the same storage.
/// </summary>
public sealed class HeraldProcess : IAsyncDisposable
{
    /// <summary>How long Herald may take to answer <c>/health</c> after it is started.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    private const int Sigterm = 15;

    private readonly Process _process;
    private readonly List<HttpClient> _clients = [];

    private HeraldProcess(string name, Process process, string directory, Uri baseAddress)
    {
        (Name, _process, Directory, BaseAddress) = (name, process, directory, baseAddress);
        StdoutFile = Path.Combine(directory, "stdout.log");
        StderrFile = Path.Combine(directory, "stderr.log");
    }

    /// <summary>A label for messages ("first", "second", "A", ...).</summary>
    public string Name { get; }

    public int Pid => _process.Id;
    public Uri BaseAddress { get; }

    /// <summary>The process's working directory, holding its output files (deleted on dispose).</summary>
    public string Directory { get; }

    public string StdoutFile { get; }
    public string StderrFile { get; }
    public bool HasExited => _process.HasExited;

    /// <summary>The settings every process shares to use <paramref name="sink"/> as its SMTP relay (plain, no TLS).</summary>
    public static Dictionary<string, string?> SmtpSettings(SmtpSink sink, int connections, TimeSpan smtpTimeout) => new()
    {
        ["Herald:Transport:Email"] = "smtp",
        ["Herald:Email:Smtp:Host"] = sink.Host,
        ["Herald:Email:Smtp:Port"] = sink.Port.ToString(),
        ["Herald:Email:Smtp:Security"] = "none",
        ["Herald:Email:Smtp:Timeout"] = smtpTimeout.ToString("c"),
        ["Herald:Email:Smtp:Connections"] = connections.ToString(),
        // The tests' recipients share one domain; let it have every connection.
        ["Herald:Email:Smtp:PerDomainConnections"] = connections.ToString(),
        ["Herald:Email:Bounces:Domain"] = "bounces.herald.test",
        ["Herald:Email:Bounces:TokenSecret"] = "fault-tests-verp-secret-0123456789",
    };

    /// <summary>
    /// Starts <c>dotnet herald.dll serve</c> on <paramref name="storage"/> with <paramref name="settings"/> (keys as in
    /// appsettings.json, e.g. <c>Herald:Dispatch:ClaimTimeout</c>), and waits until <c>GET /health</c> answers 200.
    /// A process that exits first, or does not answer in time, fails the test with its output.
    /// </summary>
    public static async Task<HeraldProcess> StartAsync(HeraldStorage storage, IReadOnlyDictionary<string, string?> settings, string name = "herald")
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "herald.dll");
        if (!File.Exists(dll))
            throw new ServerStartException($"Herald ({name}): {dll} does not exist; the test project references src/Herald, so a build copies it there.");
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        var directory = ServerHelpers.CreateTempDir("herald-process");
        var port = ServerHelpers.FreePort();
        var baseAddress = new Uri($"http://127.0.0.1:{port}/");

        var config = new Dictionary<string, string?>(storage.Settings)
        {
            ["Herald:Urls"] = $"http://127.0.0.1:{port}",
            ["Herald:Dispatch:PollInterval"] = "00:00:00.200",
            ["Logging:LogLevel:Default"] = "Information",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        };
        foreach (var (k, v) in settings) config[k] = v;

        var psi = new ProcessStartInfo(dotnet)
        {
            WorkingDirectory = directory, UseShellExecute = false,
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add("serve");
        // Only the settings given here: nothing inherited from the test process's environment.
        foreach (var inherited in psi.Environment.Keys.Where(k => k.StartsWith("HERALD__", StringComparison.OrdinalIgnoreCase)).ToList())
            psi.Environment.Remove(inherited);
        foreach (var (k, v) in config) psi.Environment[EnvironmentName(k)] = v ?? "";

        Process process;
        try { process = Process.Start(psi) ?? throw new ServerStartException($"Herald ({name}): `{dotnet} {dll} serve` did not start."); }
        catch (System.ComponentModel.Win32Exception e) { throw new ServerStartException($"Herald ({name}): `{dotnet} {dll} serve` could not be started: {e.Message}", e); }
        // Should the test process die, nothing of this one is left behind (only if that pid is still this process: same cwd).
        ServerHelpers.OnExit($"herald {name}",
            $"[ \"$(readlink /proc/{process.Id}/cwd 2>/dev/null)\" = {ServerHelpers.Sh(directory)} ] && kill -9 {process.Id}; rm -rf {ServerHelpers.Sh(directory)}");
        var herald = new HeraldProcess(name, process, directory, baseAddress);
        herald.Capture(process);
        process.StandardInput.Close();

        await herald.WaitForHealthAsync();
        return herald;
    }

    /// <summary><c>Herald:Email:Smtp:Host</c> → <c>HERALD__EMAIL__SMTP__HOST</c>, as the README documents.</summary>
    public static string EnvironmentName(string key) => key.Replace(":", "__").ToUpperInvariant();

    private void Capture(Process process)
    {
        var stdout = new StreamWriter(new FileStream(StdoutFile, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        var stderr = new StreamWriter(new FileStream(StderrFile, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.WriteLine(e.Data); };
        process.Exited += (_, _) => { lock (stdout) stdout.Flush(); lock (stderr) stderr.Flush(); };
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    private async Task WaitForHealthAsync()
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        var clock = Stopwatch.StartNew();
        var last = "no answer yet";
        while (true)
        {
            if (_process.HasExited)
            {
                await _process.WaitForExitAsync();
                throw new ServerStartException($"Herald ({Name}) exited with code {_process.ExitCode} before answering GET /health.\n{Output()}");
            }
            try
            {
                using var r = await http.GetAsync("health");
                if (r.StatusCode == HttpStatusCode.OK) return;
                last = $"{(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { last = e.Message; }
            if (clock.Elapsed > StartTimeout)
                throw new ServerStartException(
                    $"Herald ({Name}, pid {Pid}) did not answer GET {BaseAddress}health with 200 within {StartTimeout.TotalSeconds:0} s (last: {last}).\n{Output()}");
            await Task.Delay(100);
        }
    }

    /// <summary>A client of this process's API sending <paramref name="key"/> as bearer token.</summary>
    public HttpClient CreateClient(string key)
    {
        var c = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        _clients.Add(c);
        return c;
    }

    /// <summary>SIGTERM, as a service manager or a deploy stops Herald.</summary>
    public void Terminate()
    {
        if (SendSignal(Pid, Sigterm) != 0)
            throw new InvalidOperationException($"kill({Pid}, SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>SIGKILL (<c>kill -9</c>): the process ends at once, as in a crash or an out-of-memory kill.</summary>
    public void Kill() => _process.Kill();

    /// <summary>Waits for the process to end and returns its exit code; fails naming what it waited for, with the output.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout, string after)
    {
        using var cts = new CancellationTokenSource(timeout);
        try { await _process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"Herald ({Name}, pid {Pid}) was still running {timeout.TotalSeconds:0} s after {after}.\n{Output()}");
        }
        // The parameterless wait also drains the redirected output.
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>The tails of standard output and error, for failure messages.</summary>
    public string Output(int lines = 40) =>
        $"--- {Name} stdout ({StdoutFile}) ---\n{ServerHelpers.Tail(StdoutFile, lines)}\n--- {Name} stderr ({StderrFile}) ---\n{ServerHelpers.Tail(StderrFile, lines)}";

    /// <summary>The whole standard output and error.</summary>
    public string AllOutput() => ServerHelpers.Tail(StdoutFile, int.MaxValue) + "\n" + ServerHelpers.Tail(StderrFile, int.MaxValue);

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _clients) c.Dispose();
        if (!_process.HasExited)
        {
            try { _process.Kill(); } catch (InvalidOperationException) { /* ended meanwhile */ }
        }
        await _process.WaitForExitAsync();
        _process.Dispose();
        try { System.IO.Directory.Delete(Directory, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace Herald.Tests.Servers;

/// <summary>Thrown when a private test server cannot start; every test that needs it fails with this.</summary>
public sealed class ServerStartException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// What every server fixture shares: free loopback ports, temp directories, running commands
/// (optionally as another user), background processes with a log file, polling waits, and
/// teardown at process exit. See docs/testing.md.
/// </summary>
internal static class ServerHelpers
{
    private static readonly HashSet<int> HandedOut = [];
    private static readonly Lock Gate = new();
    private static readonly List<(string What, string Script)> ExitActions = [];
    private static bool exitHooked;

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();

    /// <summary>True when the test process is root: servers that refuse root then run via runuser.</summary>
    public static bool IsRoot { get; } = GetEuid() == 0;

    /// <summary>
    /// A free TCP port on 127.0.0.1, never the same twice in this process (several fixtures
    /// pick ports before any of them binds). The OS never hands out privileged ports such as 25.
    /// </summary>
    public static int FreePort()
    {
        while (true)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            lock (Gate)
            {
                if (port >= 1024 && HandedOut.Add(port)) return port;
            }
        }
    }

    /// <summary>A new empty directory under /tmp named after the server and this process, mode 0755.</summary>
    public static string CreateTempDir(string kind)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"herald-test-{kind}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(dir);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
        return dir;
    }

    /// <summary>
    /// Registers a teardown shell script, run (last registered first) from ProcessExit. vstest kills
    /// the test host 100 ms after the run unless VSTEST_TESTHOST_SHUTDOWN_TIMEOUT says otherwise
    /// (test.sh sets it), and a crashed or killed host runs no handler at all; so a detached
    /// watchdog also runs the same script once this process is gone. Scripts must be idempotent.
    /// </summary>
    public static void OnExit(string what, string script)
    {
        StartWatchdog(script);
        lock (Gate)
        {
            ExitActions.Add((what, script));
            if (exitHooked) return;
            exitHooked = true;
            AppDomain.CurrentDomain.ProcessExit += (_, _) => RunExitActions();
        }
    }

    private static void RunExitActions()
    {
        List<(string What, string Script)> actions;
        lock (Gate)
        {
            actions = [.. ExitActions];
            ExitActions.Clear();
        }
        actions.Reverse();
        foreach (var (what, script) in actions)
        {
            try { RunAsync("sh", ["-c", script], timeout: TimeSpan.FromSeconds(30)).GetAwaiter().GetResult(); }
            catch (Exception e) { Console.Error.WriteLine($"test server teardown '{what}' failed: {e.Message}"); }
        }
    }

    private static void StartWatchdog(string script)
    {
        // setsid: its own session, so neither a kill of our process group nor of the test host takes it.
        string watchdog = $"exec </dev/null >/dev/null 2>&1; while kill -0 {Environment.ProcessId}; do sleep 1; done; {script}";
        var psi = new ProcessStartInfo("setsid", ["sh", "-c", watchdog])
            { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        StartOrThrow(psi, "setsid sh -c " + Sh(watchdog)).Dispose();
    }

    /// <summary>One argument quoted for sh.</summary>
    public static string Sh(string arg) =>
        arg.Length > 0 && arg.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,+@%".Contains(c)) ? arg : $"'{arg.Replace("'", "'\\''")}'";

    /// <summary>The command line as a human (or sh) would type it, for error messages and scripts.</summary>
    public static string Describe(string file, IEnumerable<string> args) => string.Join(' ', new[] { file }.Concat(args).Select(Sh));

    /// <summary>
    /// Wraps a command so it runs as <paramref name="user"/> when the tests run as root
    /// (postgres, for example, refuses to run as root). Without root the command runs as is.
    /// </summary>
    public static (string File, string[] Args) AsUser(string? user, string file, IEnumerable<string> args) =>
        user is not null && IsRoot ? ("runuser", ["-u", user, "--", file, .. args]) : (file, [.. args]);

    /// <summary>
    /// Runs a command to completion and returns its output (stdout then stderr). A non-zero exit
    /// or a timeout throws <see cref="ServerStartException"/> naming the command and its output.
    /// </summary>
    public static async Task<string> RunAsync(string file, IEnumerable<string> args, string? asUser = null, TimeSpan? timeout = null)
    {
        var (f, a) = AsUser(asUser, file, args);
        string command = Describe(f, a);
        var psi = new ProcessStartInfo(f) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in a) psi.ArgumentList.Add(arg);
        using var process = StartOrThrow(psi, command);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2));
        // Also wait for end of output with the timeout: a daemon that forks keeps our pipe open.
        try { await Task.WhenAll(process.WaitForExitAsync(cts.Token), stdout, stderr).WaitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new ServerStartException($"`{command}` did not finish within {timeout ?? TimeSpan.FromMinutes(2)}.");
        }
        string output = (await stdout + await stderr).Trim();
        if (process.ExitCode != 0)
            throw new ServerStartException($"`{command}` exited with code {process.ExitCode}:\n{output}");
        return output;
    }

    /// <summary>
    /// Starts a long-running server process whose stdout and stderr are appended to
    /// <paramref name="logFile"/> (so a failure to start can show the log tail).
    /// </summary>
    public static Process StartBackground(string file, IEnumerable<string> args, string logFile, string? asUser = null)
    {
        var (f, a) = AsUser(asUser, file, args);
        var psi = new ProcessStartInfo(f) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in a) psi.ArgumentList.Add(arg);
        var log = new StreamWriter(new FileStream(logFile, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        var process = StartOrThrow(psi, Describe(f, a));
        void Write(string? line) { if (line is null) return; lock (log) log.WriteLine(line); }
        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static Process StartOrThrow(ProcessStartInfo psi, string command)
    {
        try { return Process.Start(psi) ?? throw new ServerStartException($"`{command}` did not start."); }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new ServerStartException($"`{command}` could not be started ({e.Message}); is its Debian package installed? test.sh installs it when run as root.", e);
        }
    }

    /// <summary>The last lines of a log file, or a note that it does not exist.</summary>
    public static string Tail(string path, int lines = 30)
    {
        if (!File.Exists(path)) return $"({path} does not exist)";
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var all = new StreamReader(stream, Encoding.UTF8).ReadToEnd().Split('\n');
        return string.Join('\n', all.TakeLast(lines)).TrimEnd();
    }

    /// <summary>
    /// Polls <paramref name="condition"/> until it holds. On timeout throws a
    /// <see cref="TimeoutException"/> with <paramref name="describeFailure"/>'s message.
    /// Waits are polling loops with generous limits, never timing assertions.
    /// </summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> describeFailure, TimeSpan? interval = null)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (await condition()) return;
            if (deadline.Elapsed > timeout)
                throw new TimeoutException($"Gave up after {timeout.TotalSeconds:0}s: {describeFailure()}");
            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(100));
        }
    }

    /// <summary>True when something accepts TCP connections on 127.0.0.1:<paramref name="port"/>.</summary>
    public static async Task<bool> AcceptsConnectionsAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException) { return false; }
    }

    /// <summary>
    /// Waits until 127.0.0.1:<paramref name="port"/> accepts connections; fails at once if
    /// <paramref name="process"/> exits first. The exception names the server, command and log tail.
    /// </summary>
    public static async Task WaitForPortAsync(string server, int port, string command, string logFile, Process? process = null, TimeSpan? timeout = null)
    {
        string Failure(string what) => $"{server}: {what}.\nCommand: {command}\nLog {logFile}:\n{Tail(logFile)}";
        try
        {
            await WaitUntilAsync(async () =>
            {
                if (process is { HasExited: true })
                    throw new ServerStartException(Failure($"exited with code {process.ExitCode} before listening on port {port}"));
                return await AcceptsConnectionsAsync(port);
            }, timeout ?? TimeSpan.FromSeconds(60), () => Failure($"nothing listens on 127.0.0.1:{port}"));
        }
        catch (TimeoutException e) { throw new ServerStartException(e.Message); }
    }
}

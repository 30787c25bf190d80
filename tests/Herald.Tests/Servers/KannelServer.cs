using System.Diagnostics;

namespace Herald.Tests.Servers;

/// <summary>
/// A private Kannel for the test run: bearerbox + smsbox with a temp config on 127.0.0.1 and
/// random ports, one <c>http</c> SMSC ("carrier") pointed at a <see cref="CarrierSimulator"/> that
/// reports delivered or failed (numbers ending in 0) back through Kannel, so DLRs reach the
/// <c>dlr-url</c> given to <c>/cgi-bin/sendsms</c>.
/// </summary>
public sealed class KannelServer : IAsyncDisposable
{
    public const string SendUser = "herald";
    public const string SendPassword = "herald-test-password";
    public const string SmscId = "carrier";
    private const string CarrierUser = "carrier", CarrierPassword = "carrier-test-password";
    private static readonly Lazy<Task<KannelServer>> SharedInstance = new(() => StartAsync(null));

    /// <summary>The run's shared Kannel, started on first use. Faults (failing the test) if it cannot start.</summary>
    public static Task<KannelServer> Shared => SharedInstance.Value;

    /// <summary>
    /// A Kannel of the caller's own, with its own carrier simulator, whose sendsms listens on
    /// <paramref name="sendsmsPort"/> (e.g. a port Herald was pointed at while nothing listened there).
    /// For tests that need a gateway to be down first; stop it with <see cref="DisposeAsync"/>.
    /// The shared instance is never stopped by a test.
    /// </summary>
    public static Task<KannelServer> StartPrivateAsync(int sendsmsPort) => StartAsync(sendsmsPort);

    private readonly List<System.Diagnostics.Process> processes = [];

    public string Host => "127.0.0.1";
    public int AdminPort { get; }
    public int SmsboxPort { get; }
    public int SendsmsPort { get; }
    /// <summary>Where Kannel's http SMSC listens for the carrier's DLR callbacks.</summary>
    public int SmscPort { get; }
    public string Directory { get; }
    public CarrierSimulator Carrier { get; }
    public string BearerboxLog => Path.Combine(Directory, "bearerbox.log");
    public string SmsboxLog => Path.Combine(Directory, "smsbox.log");

    /// <summary>http://127.0.0.1:PORT/cgi-bin/sendsms with the test user's credentials, ready for &amp;to=...</summary>
    public string SendsmsUrl => $"http://{Host}:{SendsmsPort}/cgi-bin/sendsms?username={SendUser}&password={SendPassword}";

    private KannelServer(string dir, CarrierSimulator carrier, int? sendsmsPort)
    {
        (Directory, Carrier) = (dir, carrier);
        (AdminPort, SmsboxPort, SendsmsPort, SmscPort) =
            (ServerHelpers.FreePort(), ServerHelpers.FreePort(), sendsmsPort ?? ServerHelpers.FreePort(), ServerHelpers.FreePort());
    }

    /// <summary>Stops a private instance (smsbox, bearerbox, the carrier) and deletes its directory.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var p in Enumerable.Reverse(processes))
        {
            try { p.Kill(); await p.WaitForExitAsync(); } catch (InvalidOperationException) { /* already gone */ }
            p.Dispose();
        }
        Carrier.Stop();
        try { System.IO.Directory.Delete(Directory, true); } catch (IOException) { }
    }

    public string Logs() =>
        $"bearerbox log {BearerboxLog}:\n{ServerHelpers.Tail(BearerboxLog)}\nsmsbox log {SmsboxLog}:\n{ServerHelpers.Tail(SmsboxLog)}";

    private static async Task<KannelServer> StartAsync(int? sendsmsPort)
    {
        string dir = ServerHelpers.CreateTempDir("kannel");
        ServerHelpers.OnExit("kannel dir", $"sleep 0.5; rm -rf {dir}");
        var kannel = new KannelServer(dir, new CarrierSimulator(CarrierUser, CarrierPassword), sendsmsPort);
        string config = Path.Combine(dir, "kannel.conf");
        await File.WriteAllTextAsync(config, kannel.Config());
        // stdout (-v 1: info and up) goes to *.out: configuration errors show there, not in log-file.
        string bearerboxOut = Path.Combine(dir, "bearerbox.out"), smsboxOut = Path.Combine(dir, "smsbox.out");
        Process bearerbox = ServerHelpers.StartBackground("bearerbox", ["-v", "1", config], bearerboxOut);
        kannel.processes.Add(bearerbox);
        ServerHelpers.OnExit("bearerbox", $"kill {bearerbox.Id} 2>/dev/null");
        await ServerHelpers.WaitForPortAsync("Kannel bearerbox", kannel.AdminPort, $"bearerbox -v 1 {config}", bearerboxOut, bearerbox);
        await ServerHelpers.WaitForPortAsync("Kannel bearerbox smsbox port", kannel.SmsboxPort, $"bearerbox -v 1 {config}", bearerboxOut, bearerbox);
        Process smsbox = ServerHelpers.StartBackground("smsbox", ["-v", "1", config], smsboxOut);
        kannel.processes.Add(smsbox);
        ServerHelpers.OnExit("smsbox", $"kill {smsbox.Id} 2>/dev/null");
        await ServerHelpers.WaitForPortAsync("Kannel smsbox", kannel.SendsmsPort, $"smsbox -v 1 {config}", smsboxOut, smsbox);
        return kannel;
    }

    private string Config() => $"""
        # Private Kannel for Herald's tests (tests/Herald.Tests/Servers/KannelServer.cs).
        group = core
        admin-port = {AdminPort}
        admin-interface = 127.0.0.1
        admin-password = admin-test-password
        admin-allow-ip = "127.0.0.1"
        smsbox-port = {SmsboxPort}
        smsbox-interface = 127.0.0.1
        box-allow-ip = "127.0.0.1"
        log-file = "{BearerboxLog}"
        log-level = 0
        dlr-storage = internal

        # The carrier: MT goes to the simulator's send-url; its DLR callbacks come back on port {SmscPort}.
        # dlr-url makes Kannel embed its message id (dlr-mid) in the DLR URL it hands the carrier.
        group = smsc
        smsc = http
        smsc-id = {SmscId}
        system-type = kannel
        send-url = "{Carrier.SendUrl}"
        port = {SmscPort}
        # Kannel 1.4.5 binds this listener on 0.0.0.0 even with our-host set (checked with ss);
        # connect-allow-ip makes it refuse every client but loopback.
        our-host = 127.0.0.1
        connect-allow-ip = "127.0.0.1"
        smsc-username = {CarrierUser}
        smsc-password = {CarrierPassword}
        dlr-url = "http://127.0.0.1:{SmscPort}/?via=carrier"

        group = smsbox
        bearerbox-host = 127.0.0.1
        bearerbox-port = {SmsboxPort}
        sendsms-port = {SendsmsPort}
        sendsms-interface = 127.0.0.1
        log-file = "{SmsboxLog}"
        log-level = 0

        group = sendsms-user
        username = {SendUser}
        password = {SendPassword}

        group = sms-service
        keyword = default
        text = "No service here"
        """;
}

using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Herald.Email;
using Herald.Tests.Api;
using Herald.Tests.Servers;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using MimeKit;

namespace Herald.Tests.Email;

/// <summary>One delivery Herald has sent (through the sandbox transport): its ids and the message as it went out.</summary>
public sealed record SentDelivery(long AnnouncementId, long ContactId, long DeliveryId, string Address, MimeMessage Message);

/// <summary>
/// Herald with a bounce mailbox of its own: a fresh Dovecot user of the shared mail servers (so tests never read each
/// other's bounces) as the VERP local part and the IMAP login. Mail goes out through the sandbox transport; a test
/// makes the bounce itself, by submitting the sent message to the real Postfix or by APPENDing a report it wrote.
/// </summary>
public sealed class BounceMailboxSetup : IAsyncDisposable
{
    public const string Secret = "bounce-mailbox-test-secret";
    public const string MessageIdDomain = "herald.school.test";
    public const string Processed = "Herald/Processed", Unmatched = "Herald/Unmatched";

    private BounceMailboxSetup(HeraldHost host, MailServers mail, string user) =>
        (Host, Mail, User, Verp) = (host, mail, user, new VerpAddress(user, MailServers.Domain, Secret));

    public HeraldHost Host { get; }
    public MailServers Mail { get; }
    /// <summary>The Dovecot user whose INBOX is the bounce mailbox, and the VERP local part.</summary>
    public string User { get; }
    public VerpAddress Verp { get; }
    public HttpClient Client => Host.Client;

    /// <summary>Starts Herald reading a new user's INBOX over TLS on connect, trusting the run's test CA;
    /// <paramref name="imapPort"/> overrides Dovecot's IMAPS port, <paramref name="settings"/> adds or overrides Herald settings.</summary>
    public static async Task<BounceMailboxSetup> StartAsync(string provider, int? imapPort = null, IDictionary<string, string?>? settings = null)
    {
        var mail = await MailServers.Shared;
        var user = await NewUserAsync(mail);
        var all = new Dictionary<string, string?>
        {
            ["Herald:Sender:MessageIdDomain"] = MessageIdDomain,
            ["Herald:Email:Bounces:Domain"] = MailServers.Domain,
            ["Herald:Email:Bounces:LocalPart"] = user,
            ["Herald:Email:Bounces:TokenSecret"] = Secret,
            ["Herald:Email:Bounces:Imap:Host"] = mail.ImapHost,
            ["Herald:Email:Bounces:Imap:Port"] = (imapPort ?? mail.ImapsPort).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Herald:Email:Bounces:Imap:Security"] = "tls",
            ["Herald:Email:Bounces:Imap:TrustedCertificate"] = mail.Certificates.CaFile,
            ["Herald:Email:Bounces:Imap:Username"] = user,
            ["Herald:Email:Bounces:Imap:Password"] = MailServers.Password,
            ["Herald:Email:Bounces:Imap:PollInterval"] = "00:00:01",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>()) all[k] = v;
        var host = await HeraldHost.StartAsync(provider, settings: all);
        return new BounceMailboxSetup(host, mail, user);
    }

    /// <summary>A Dovecot user of its own (so its INBOX holds only this test's mail), once Dovecot lets it log in.</summary>
    public static async Task<string> NewUserAsync(MailServers mail)
    {
        var user = "bounces" + Guid.NewGuid().ToString("N")[..10];
        await mail.AddUserAsync(user);
        // Dovecot notices the new user when it next reads its passwd-file: wait until the login works.
        var login = "";
        await ServerHelpers.WaitUntilAsync(async () =>
        {
            try { using var imap = await mail.ImapAsync(user); return true; }
            catch (AuthenticationException e) { login = e.Message; return false; }
        }, TimeSpan.FromSeconds(60), () => $"Dovecot does not let the new user {user} log in: {login}\n{mail.Logs()}");
        return user;
    }

    /// <summary>Sends an announcement to a new contact with <paramref name="address"/> and waits until it is sent.</summary>
    public async Task<SentDelivery> SendAsync(string address)
    {
        var contact = await Client.AddContactAsync(address);
        var announcement = await Client.SendToAsync([contact]);
        return await SentAsync(announcement, contact, address);
    }

    /// <summary>Waits for the contact's delivery of the announcement to be sent and reads the message the sandbox wrote.</summary>
    public async Task<SentDelivery> SentAsync(long announcement, long contact, string address)
    {
        var report = await Client.WaitForStatusAsync(announcement, contact, "sent");
        var line = report.LineOf(contact);
        var deliveryId = line["deliveryId"]!.GetValue<long>();
        var attempt = line["attempt"]!.GetValue<int>();
        var file = Directory.GetFiles(Host.SandboxEmailFolder, $"{deliveryId}-{attempt}-*.eml").Single();
        return new SentDelivery(announcement, contact, deliveryId, address, await MimeMessage.LoadAsync(file));
    }

    /// <summary>A new announcement to an existing contact; returns the contact's status once it is decided.</summary>
    public async Task<string> SendAgainAsync(long contact)
    {
        var announcement = await Client.SendToAsync([contact]);
        var report = await Client.WaitForReportAsync(announcement, r => r.StatusOf(contact) is not "queued", "a decision");
        return report.StatusOf(contact);
    }

    /// <summary>The return path Herald would have used for this delivery (attempt 1).</summary>
    public string ReturnPath(SentDelivery d) => Verp.For(d.DeliveryId, 1);

    /// <summary>Puts raw bytes into the bounce INBOX with a plain IMAP APPEND over TLS (MailKit would re-serialise a parsed
    /// message, and the point of some tests is bytes that do not parse).</summary>
    public async Task AppendAsync(byte[] raw)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(Mail.ImapHost, Mail.ImapsPort);
        using var stream = new System.Net.Security.SslStream(tcp.GetStream(), false, Mail.Trust);
        await stream.AuthenticateAsClientAsync(Mail.ImapHost);
        var reader = new StreamReader(stream, Encoding.Latin1);
        async Task<string> Until(string tag)
        {
            var all = new StringBuilder();
            while (true)
            {
                var line = await reader.ReadLineAsync() ?? throw new IOException("Dovecot closed the connection:\n" + all);
                all.AppendLine(line);
                if (line.StartsWith(tag, StringComparison.Ordinal))
                    return line.StartsWith(tag + " OK", StringComparison.Ordinal) || tag == "+" ? line : throw new IOException($"IMAP said: {all}");
            }
        }
        async Task Send(byte[] bytes) { await stream.WriteAsync(bytes); await stream.FlushAsync(); }
        await Until("*");
        await Send(Encoding.ASCII.GetBytes($"a1 LOGIN {User} \"{MailServers.Password}\"\r\n"));
        await Until("a1");
        await Send(Encoding.ASCII.GetBytes($"a2 APPEND INBOX {{{raw.Length}}}\r\n"));
        await Until("+");
        await Send([.. raw, .. "\r\n"u8.ToArray()]);
        await Until("a2");
        await Send("a3 LOGOUT\r\n"u8.ToArray());
    }

    public Task AppendAsync(string message) => AppendAsync(Encoding.UTF8.GetBytes(message.ReplaceLineEndings("\r\n")));

    /// <summary>The Message-IDs of the messages in a folder ('/'-separated path), or null when it does not exist.</summary>
    public async Task<List<string?>?> FolderAsync(string path)
    {
        using var imap = await Mail.ImapAsync(User);
        IMailFolder folder;
        try
        {
            folder = path == "INBOX" ? imap.Inbox
                : await imap.GetFolderAsync(path.Replace('/', imap.PersonalNamespaces[0].DirectorySeparator));
        }
        catch (FolderNotFoundException) { return null; }
        await folder.OpenAsync(FolderAccess.ReadOnly);
        var ids = new List<string?>();
        if (folder.Count > 0)
            foreach (var summary in await folder.FetchAsync(0, -1, MessageSummaryItems.Envelope))
                ids.Add(summary.Envelope?.MessageId);
        await imap.DisconnectAsync(true);
        return ids;
    }

    /// <summary>Waits until the INBOX is empty and <paramref name="path"/> holds <paramref name="count"/> messages.</summary>
    public async Task<List<string?>> WaitForFolderAsync(string path, int count)
    {
        List<string?>? inbox = null, folder = null;
        string Show(List<string?>? ids) => ids is null ? "(no such folder)" : $"{ids.Count}: {string.Join(", ", ids)}";
        await ServerHelpers.WaitUntilAsync(async () =>
        {
            inbox = await FolderAsync("INBOX");
            folder = await FolderAsync(path);
            return inbox is { Count: 0 } && folder?.Count == count;
        }, HeraldHost.DispatchTimeout,
            () => $"expected an empty INBOX and {count} messages in {path}; INBOX has {Show(inbox)}; {path} {Show(folder)}; " +
                  $"{Processed} {Show(FolderAsync(Processed).GetAwaiter().GetResult())}; {Unmatched} {Show(FolderAsync(Unmatched).GetAwaiter().GetResult())}.\n" +
                  $"Health: {Health().GetAwaiter().GetResult().ToJsonString()}\n{Mail.Logs()}");
        return folder!;
    }

    public Task<JsonNode> Health() => Host.Operator.GetAsync("health/details").ExpectAsync(HttpStatusCode.OK);

    /// <summary>The value of herald_bounce_mail_total for an outcome (process-wide: other tests add to it too).</summary>
    public async Task<double> BounceMailMetricAsync(string outcome)
    {
        var text = await Host.Operator.GetStringAsync("metrics");
        var m = System.Text.RegularExpressions.Regex.Match(text, $"^herald_bounce_mail_total\\{{outcome=\"{outcome}\"\\}} (\\S+)$",
            System.Text.RegularExpressions.RegexOptions.Multiline);
        return m.Success ? double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    public ValueTask DisposeAsync() => Host.DisposeAsync();
}

/// <summary>Report messages as remote mail systems write them, filled in for one delivery.</summary>
public static class Reports
{
    private static string Now => DateTimeOffset.UtcNow.ToString("r");
    private static string NewId(string host) => $"<{Guid.NewGuid():N}@{host}>";

    /// <summary>The headers of the message as it went out (what text/rfc822-headers parts quote).</summary>
    public static string Headers(MimeMessage sent) =>
        $"From: {sent.From}\nTo: {sent.To}\nSubject: {sent.Subject}\nMessage-ID: <{sent.MessageId}>\nDate: {sent.Date:r}\n";

    /// <summary>An RFC 3464 report (Postfix's wording) for one recipient: <paramref name="action"/> failed, delayed or
    /// delivered. <paramref name="threading"/>: header lines to add (In-Reply-To, References), each ending in a newline.</summary>
    public static string Dsn(string to, string recipient, MimeMessage sent, string action, string status, string diagnostic, string? messageId = null,
        string threading = "") => $"""
        From: Mail Delivery System <MAILER-DAEMON@mx.example.org>
        To: {to}
        Subject: {action switch { "delayed" => "Delayed Mail (still being retried)", "failed" => "Undelivered Mail Returned to Sender", _ => "Successful Mail Delivery Report" }}
        Date: {Now}
        Message-ID: {messageId ?? NewId("mx.example.org")}
        Auto-Submitted: auto-replied
        {threading}MIME-Version: 1.0
        Content-Type: multipart/report; report-type=delivery-status; boundary="dsn-boundary"

        --dsn-boundary
        Content-Type: text/plain; charset=us-ascii

        This is the mail system at host mx.example.org.

        {action switch
        {
            "delayed" => "####################################################################\n# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n####################################################################\n\nYour message could not be delivered for 4 hours. It will be retried until it is 5 days old.",
            "failed" => "I'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients.",
            _ => "Your message was successfully delivered to the destination(s) listed below.",
        }}

        <{recipient}>: {diagnostic}

        --dsn-boundary
        Content-Type: message/delivery-status

        Reporting-MTA: dns; mx.example.org
        Arrival-Date: {Now}

        Final-Recipient: rfc822; {recipient}
        Original-Recipient: rfc822;{recipient}
        Action: {action}
        Status: {status}
        Diagnostic-Code: smtp; {diagnostic}

        --dsn-boundary
        Content-Type: text/rfc822-headers

        {Headers(sent)}
        --dsn-boundary--
        """;

    /// <summary>An ARF report (RFC 5965) from a mailbox provider's feedback loop about the sent message;
    /// <paramref name="threading"/> as for <see cref="Dsn"/>.</summary>
    public static string ArfComplaint(string to, string recipient, MimeMessage sent, string threading = "") => $"""
        From: Feedback Loop <fbl@isp.example.net>
        To: {to}
        Subject: Complaint about message from 192.0.2.25
        Date: {Now}
        Message-ID: {NewId("isp.example.net")}
        {threading}MIME-Version: 1.0
        Content-Type: multipart/report; report-type=feedback-report; boundary="arf-boundary"

        --arf-boundary
        Content-Type: text/plain; charset=us-ascii

        This is an email abuse report for an email message received from IP 192.0.2.25.
        A recipient marked it as spam.

        --arf-boundary
        Content-Type: message/feedback-report

        Feedback-Type: abuse
        User-Agent: ExampleFBL/2.1
        Version: 1
        Original-Rcpt-To: <{recipient}>
        Arrival-Date: {Now}
        Source-IP: 192.0.2.25

        --arf-boundary
        Content-Type: text/rfc822-headers

        {Headers(sent)}
        --arf-boundary--
        """;

    /// <summary>An out-of-office reply (RFC 3834) from the recipient, sent to the return path.</summary>
    public static string AutoReply(string to, string recipient, MimeMessage sent) => $"""
        From: Pat Guardian <{recipient}>
        To: {to}
        Subject: Out of office: {sent.Subject}
        Date: {Now}
        Message-ID: {NewId("mail.example.org")}
        In-Reply-To: <{sent.MessageId}>
        References: <{sent.MessageId}>
        Auto-Submitted: auto-replied
        MIME-Version: 1.0
        Content-Type: text/plain; charset=us-ascii

        I am out of the office until Monday and will read your message when I am back.
        """;

    /// <summary>An ordinary message: not a report of anything.</summary>
    public static string Ordinary(string to) => $"""
        From: Someone <someone@example.org>
        To: {to}
        Subject: Question about the trip
        Date: {Now}
        Message-ID: {NewId("example.org")}

        Hello, what time does the bus leave?
        """;
}

/// <summary>Forwards connections on a port to another (Dovecot's): the bounce mailbox "comes back" when it starts.</summary>
public sealed class TcpForwarder : IDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();

    public TcpForwarder(int listenPort, int targetPort)
    {
        _listener = new TcpListener(IPAddress.Loopback, listenPort);
        _listener.Start();
        _ = AcceptAsync(targetPort);
    }

    private async Task AcceptAsync(int targetPort)
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient inbound;
            try { inbound = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            _ = PipeAsync(inbound, targetPort);
        }
    }

    private async Task PipeAsync(TcpClient inbound, int targetPort)
    {
        using (inbound)
        using (var outbound = new TcpClient())
        {
            try
            {
                await outbound.ConnectAsync(IPAddress.Loopback, targetPort, _stop.Token);
                var a = inbound.GetStream().CopyToAsync(outbound.GetStream(), _stop.Token);
                var b = outbound.GetStream().CopyToAsync(inbound.GetStream(), _stop.Token);
                await Task.WhenAny(a, b);
            }
            catch (Exception) { /* either side closing ends the pipe */ }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }
}

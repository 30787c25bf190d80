using System.Diagnostics;
using System.Net.Sockets;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using MimeKit;

namespace Herald.Tests.Servers;

/// <summary>
/// A private Postfix relay in front of a private Dovecot (IMAP + LMTP) for the test run, all on
/// 127.0.0.1 and random ports, each with its own config in one temp dir. Postfix accepts any
/// recipient of <see cref="Domain"/> and hands it to Dovecot over LMTP; Dovecot refuses unknown
/// users, so Postfix sends a real RFC 3464 bounce to the envelope sender (VERP
/// <c>bounces+TOKEN@school.test</c> lands in the <c>bounces</c> INBOX). Chosen recipients get
/// synchronous SMTP answers from a check_recipient_access map (<see cref="SetRecipientAnswerAsync"/>).
/// Mail for any other domain is bounced by Postfix itself: nothing leaves loopback.
/// Both speak TLS with a certificate for 127.0.0.1 from a CA made for the run (<see cref="Certificates"/>; clients
/// trust <see cref="TestCertificates.CaFile"/>): Dovecot requires it for every login (<c>ssl = required</c>; STARTTLS on
/// <see cref="ImapPort"/>, TLS on connect on <see cref="ImapsPort"/>); Postfix offers STARTTLS and, after it only, AUTH
/// (SASL by Dovecot: the users and <see cref="Password"/> of the mailboxes). Unauthenticated mail from 127.0.0.1 is still
/// relayed in clear, as a relay that trusts its network does.
/// </summary>
public sealed class MailServers
{
    public const string Domain = "school.test";
    public const string Password = "herald-test-password";
    public const string GreylistAddress = "greylist@" + Domain;
    public const string PolicyAddress = "policy@" + Domain;
    private static readonly string[] DefaultUsers = ["bounces", "alice", "bob", "carol", "dave"];
    private static readonly Lazy<Task<MailServers>> SharedInstance = new(StartAsync);

    private readonly string usersFile, accessFile, postfixConfig;
    private readonly SemaphoreSlim edits = new(1, 1);
    private readonly Dictionary<string, string> answers = new(StringComparer.OrdinalIgnoreCase)
    {
        [GreylistAddress] = "450 4.7.1 Greylisted, try again later",
        [PolicyAddress] = "550 5.7.1 Message rejected by policy",
    };

    /// <summary>The run's shared Postfix + Dovecot, started on first use. Faults (failing the test) if either cannot start.</summary>
    public static Task<MailServers> Shared => SharedInstance.Value;

    public string SmtpHost => "127.0.0.1";
    public int SmtpPort { get; }
    public string ImapHost => "127.0.0.1";
    /// <summary>IMAP with STARTTLS (required before LOGIN).</summary>
    public int ImapPort { get; }
    /// <summary>IMAP with TLS on connect.</summary>
    public int ImapsPort { get; }
    public int LmtpPort { get; }
    /// <summary>Dovecot's auth service, which Postfix asks for SMTP AUTH.</summary>
    public int AuthPort { get; }
    public TestCertificates Certificates { get; }

    /// <summary>Validates the servers' certificates against the run's CA, as Herald does with TrustedCertificate set.</summary>
    public System.Net.Security.RemoteCertificateValidationCallback Trust { get; }
    public string Directory { get; }
    public string MailLogPath => Path.Combine(Directory, "postfix", "maillog");
    public string DovecotLogPath => Path.Combine(Directory, "dovecot", "dovecot.log");

    private MailServers(string dir, int smtpPort, int imapPort, int imapsPort, int lmtpPort, int authPort)
    {
        (Directory, SmtpPort, ImapPort, ImapsPort, LmtpPort, AuthPort) = (dir, smtpPort, imapPort, imapsPort, lmtpPort, authPort);
        Certificates = TestCertificates.Create(Path.Combine(dir, "tls"));
        Trust = Herald.Email.TrustedCertificate.CallbackFor(Certificates.CaFile)!;
        usersFile = Path.Combine(dir, "dovecot", "users");
        accessFile = Path.Combine(dir, "postfix", "recipient_access");
        postfixConfig = Path.Combine(dir, "postfix");
    }

    /// <summary>An IMAP session as <paramref name="user"/>: STARTTLS (the server requires it), the run's CA trusted.</summary>
    public async Task<ImapClient> ImapAsync(string user)
    {
        var imap = new ImapClient { ServerCertificateValidationCallback = Trust };
        try
        {
            await imap.ConnectAsync(ImapHost, ImapPort, SecureSocketOptions.StartTls);
            await imap.AuthenticateAsync(user, Password);
            return imap;
        }
        catch
        {
            imap.Dispose();
            throw;
        }
    }

    /// <summary>user@school.test</summary>
    public static string Address(string user) => $"{user}@{Domain}";

    /// <summary>Adds a Dovecot user (password <see cref="Password"/>); Dovecot re-reads its passwd-file when it changes.</summary>
    public async Task AddUserAsync(string user)
    {
        await edits.WaitAsync();
        try { await File.AppendAllTextAsync(usersFile, $"{user}:{{PLAIN}}{Password}::::::\n"); }
        finally { edits.Release(); }
    }

    /// <summary>
    /// Makes Postfix answer RCPT TO:&lt;address&gt; with <paramref name="answer"/> (e.g. "450 4.7.1 Greylisted"),
    /// or accept it normally when <paramref name="answer"/> is null. Returns once a probe dialogue sees the new answer.
    /// </summary>
    public async Task SetRecipientAnswerAsync(string address, string? answer)
    {
        await edits.WaitAsync();
        try
        {
            if (answer is null) answers.Remove(address); else answers[address] = answer;
            await WriteAccessMapAsync();
            // texthash maps are read when a process starts: reload makes new smtpd processes.
            await ServerHelpers.RunAsync("postfix", ["-c", postfixConfig, "reload"]);
            string expected = answer?[..3] ?? "250";
            string seen = "";
            await ServerHelpers.WaitUntilAsync(async () => (seen = await ProbeRecipientAsync(address)).StartsWith(expected),
                TimeSpan.FromSeconds(60), () => $"Postfix still answers RCPT TO:<{address}> with '{seen}', expected {expected}.\n{Logs()}");
        }
        finally { edits.Release(); }
    }

    public Task RemoveRecipientAnswerAsync(string address) => SetRecipientAnswerAsync(address, null);

    /// <summary>Asks Postfix to retry deferred mail now (postqueue -f) instead of at the next queue run.</summary>
    public Task FlushQueueAsync() => ServerHelpers.RunAsync("postqueue", ["-c", postfixConfig, "-f"]);

    /// <summary>
    /// Polls <paramref name="user"/>'s INBOX until a message matches <paramref name="predicate"/> and returns it;
    /// throws a <see cref="TimeoutException"/> with the mail logs after <paramref name="timeout"/> (default 60 s).
    /// </summary>
    public async Task<MimeMessage> WaitForMessageAsync(string user, Func<MimeMessage, bool> predicate, TimeSpan? timeout = null)
    {
        MimeMessage? found = null;
        int seen = 0;
        await ServerHelpers.WaitUntilAsync(async () =>
        {
            using var imap = await ImapAsync(user);
            await imap.Inbox.OpenAsync(FolderAccess.ReadOnly);
            seen = imap.Inbox.Count;
            for (int i = 0; i < imap.Inbox.Count && found is null; i++)
            {
                var message = await imap.Inbox.GetMessageAsync(i);
                if (predicate(message)) found = message;
            }
            await imap.DisconnectAsync(true);
            return found is not null;
        }, timeout ?? TimeSpan.FromSeconds(60), () => $"no matching message in {user}'s INBOX ({seen} messages there).\n{Logs()}", TimeSpan.FromMilliseconds(250));
        return found!;
    }

    /// <summary>The tails of Postfix's and Dovecot's logs, for failure messages.</summary>
    public string Logs() =>
        $"Postfix log {MailLogPath}:\n{ServerHelpers.Tail(MailLogPath)}\nDovecot log {DovecotLogPath}:\n{ServerHelpers.Tail(DovecotLogPath)}";

    private Task WriteAccessMapAsync() =>
        File.WriteAllLinesAsync(accessFile, answers.Select(a => $"{a.Key} {a.Value}"));

    /// <summary>One SMTP dialogue up to RCPT TO, returning Postfix's reply to it (then RSET and QUIT: nothing is sent).</summary>
    private async Task<string> ProbeRecipientAsync(string address)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(SmtpHost, SmtpPort);
        using var stream = client.GetStream();
        using var reader = new StreamReader(stream);
        await using var writer = new StreamWriter(stream) { NewLine = "\r\n", AutoFlush = true };
        async Task<string> Reply()
        {
            string? line;
            do line = await reader.ReadLineAsync() ?? throw new IOException("Postfix closed the connection");
            while (line.Length > 3 && line[3] == '-');
            return line;
        }
        await Reply();
        foreach (string command in new[] { "EHLO probe.test", $"MAIL FROM:<probe@{Domain}>" })
        {
            await writer.WriteLineAsync(command);
            await Reply();
        }
        await writer.WriteLineAsync($"RCPT TO:<{address}>");
        string answer = await Reply();
        await writer.WriteLineAsync("RSET");
        await Reply();
        await writer.WriteLineAsync("QUIT");
        return answer;
    }

    private static async Task<MailServers> StartAsync()
    {
        string dir = ServerHelpers.CreateTempDir("mail");
        var servers = new MailServers(dir, ServerHelpers.FreePort(), ServerHelpers.FreePort(), ServerHelpers.FreePort(),
            ServerHelpers.FreePort(), ServerHelpers.FreePort());
        // One script for both, in order: the relay stops before its LMTP target, then the dir goes.
        string dovecotPid = Path.Combine(dir, "dovecot", "run", "master.pid");
        ServerHelpers.OnExit("postfix+dovecot",
            $"postfix -c {servers.postfixConfig} stop >/dev/null 2>&1; [ -f {dovecotPid} ] && kill $(cat {dovecotPid}); sleep 0.2; rm -rf {dir}");
        await servers.StartDovecotAsync();
        await servers.StartPostfixAsync();
        return servers;
    }

    private async Task StartDovecotAsync()
    {
        string dovecot = Path.Combine(Directory, "dovecot"), mail = Path.Combine(Directory, "mail");
        System.IO.Directory.CreateDirectory(dovecot);
        System.IO.Directory.CreateDirectory(mail);
        // Mail is stored as the "mail" user, never root (docs/test-servers.md: first_valid_uid = 8).
        if (ServerHelpers.IsRoot) await ServerHelpers.RunAsync("chown", ["mail:mail", mail]);
        foreach (string user in DefaultUsers) await AddUserAsync(user);
        string config = Path.Combine(dovecot, "dovecot.conf");
        await File.WriteAllTextAsync(config, $$"""
            # Private Dovecot for Herald's tests (tests/Herald.Tests/Servers/MailServers.cs).
            instance_name = herald-test-{{Environment.ProcessId}}-{{ImapPort}}
            base_dir = {{dovecot}}/run
            state_dir = {{dovecot}}/state
            log_path = {{DovecotLogPath}}
            protocols = imap lmtp
            listen = 127.0.0.1
            # Every login over TLS, as a real mailbox server should (Herald refuses to log in otherwise, too).
            ssl = required
            ssl_cert = <{{Certificates.ServerCertificateFile}}
            ssl_key = <{{Certificates.ServerKeyFile}}
            disable_plaintext_auth = yes
            auth_mechanisms = plain login
            # Users are plain names; an address's domain (and +detail, below) is dropped.
            auth_username_format = %Ln
            recipient_delimiter = +
            lmtp_save_to_detail_mailbox = no
            first_valid_uid = 8
            mail_location = maildir:{{mail}}/%n/Maildir
            passdb {
              driver = passwd-file
              args = scheme=PLAIN {{usersFile}}
            }
            # Static uid, but allow_all_users = no (the default) still asks the passdb whether the user
            # exists, so LMTP refuses unknown users with 550 5.1.1 and Postfix bounces.
            userdb {
              driver = static
              args = uid=mail gid=mail home={{mail}}/%n
            }
            service imap-login {
              inet_listener imap {
                address = 127.0.0.1
                port = {{ImapPort}}
              }
              inet_listener imaps {
                address = 127.0.0.1
                port = {{ImapsPort}}
                ssl = yes
              }
            }
            # Postfix's SMTP AUTH asks here (smtpd_sasl_type = dovecot).
            service auth {
              inet_listener auth-postfix {
                address = 127.0.0.1
                port = {{AuthPort}}
              }
            }
            service lmtp {
              inet_listener lmtp {
                address = 127.0.0.1
                port = {{LmtpPort}}
              }
            }
            """);
        // -F: stay in the foreground as our child (a forking dovecot would keep our output pipe open).
        string[] args = ["-F", "-c", config];
        string output = Path.Combine(dovecot, "dovecot.out");
        Process master = ServerHelpers.StartBackground("dovecot", args, output);
        string command = ServerHelpers.Describe("dovecot", args);
        try
        {
            // Config errors go to stderr (dovecot.out) before log_path is opened.
            await ServerHelpers.WaitForPortAsync("Dovecot IMAP", ImapPort, command, output, master);
            await ServerHelpers.WaitForPortAsync("Dovecot LMTP", LmtpPort, command, output, master);
            await ServerHelpers.WaitForPortAsync("Dovecot IMAPS", ImapsPort, command, output, master);
            await ServerHelpers.WaitForPortAsync("Dovecot auth", AuthPort, command, output, master);
        }
        catch (ServerStartException e)
        {
            throw new ServerStartException($"{e.Message}\nLog {DovecotLogPath}:\n{ServerHelpers.Tail(DovecotLogPath)}", e);
        }
    }

    private async Task StartPostfixAsync()
    {
        // Queue and data beside the config dir, not in it: postfix-script wants the config tree owned by root.
        string conf = postfixConfig, queue = Path.Combine(Directory, "postfix-queue"), data = Path.Combine(Directory, "postfix-data");
        System.IO.Directory.CreateDirectory(conf);
        System.IO.Directory.CreateDirectory(queue);
        System.IO.Directory.CreateDirectory(data);
        // The master takes its lock in data_directory, which must belong to mail_owner (docs/test-servers.md).
        if (ServerHelpers.IsRoot) await ServerHelpers.RunAsync("chown", ["postfix:", data]);
        await WriteAccessMapAsync();
        await File.WriteAllTextAsync(Path.Combine(conf, "main.cf"), $"""
            # Private Postfix for Herald's tests (tests/Herald.Tests/Servers/MailServers.cs).
            compatibility_level = 3.6
            queue_directory = {queue}
            data_directory = {data}
            mail_owner = postfix
            setgid_group = postdrop
            # Without a maillog_file, errors of a start-fg master vanish (no syslog here).
            maillog_file = {MailLogPath}
            maillog_file_prefixes = {Directory}
            myhostname = mx.{Domain}
            mydomain = {Domain}
            myorigin = {Domain}
            mydestination =
            inet_interfaces = 127.0.0.1
            inet_protocols = ipv4
            mynetworks = 127.0.0.0/8
            alias_maps =
            alias_database =
            local_recipient_maps =
            smtputf8_enable = no
            biff = no
            virtual_mailbox_domains = {Domain}
            virtual_transport = lmtp:inet:127.0.0.1:{LmtpPort}
            # Accept unknown users so Dovecot refuses them and Postfix sends a real DSN.
            smtpd_reject_unlisted_recipient = no
            smtpd_recipient_restrictions = check_recipient_access texthash:{accessFile}, permit_mynetworks, reject_unauth_destination
            # Nothing leaves loopback: every other domain bounces here, never port 25 anywhere.
            default_transport = error:mail outside {Domain} is not delivered by the test relay
            relay_transport = error:mail outside {Domain} is not delivered by the test relay
            relayhost =
            # STARTTLS offered, never required (a client without TLS still relays from mynetworks); AUTH offered only
            # after STARTTLS, answered by Dovecot's passwd-file (the mailbox users).
            smtpd_tls_cert_file = {Certificates.ServerCertificateFile}
            smtpd_tls_key_file = {Certificates.ServerKeyFile}
            smtpd_tls_security_level = may
            smtpd_tls_auth_only = yes
            smtpd_tls_loglevel = 1
            smtpd_sasl_auth_enable = yes
            smtpd_sasl_type = dovecot
            smtpd_sasl_path = inet:127.0.0.1:{AuthPort}
            """);
        await File.WriteAllTextAsync(Path.Combine(conf, "master.cf"), $"""
            # service type  private unpriv chroot wakeup maxproc command
            {SmtpPort} inet  n       -       n       -       -       smtpd
            pickup    unix  n       -       n       60      1       pickup
            cleanup   unix  n       -       n       -       0       cleanup
            qmgr      unix  n       -       n       300     1       qmgr
            rewrite   unix  -       -       n       -       -       trivial-rewrite
            bounce    unix  -       -       n       -       0       bounce
            defer     unix  -       -       n       -       0       bounce
            trace     unix  -       -       n       -       0       bounce
            verify    unix  -       -       n       -       1       verify
            flush     unix  n       -       n       1000?   0       flush
            proxymap  unix  -       -       n       -       -       proxymap
            proxywrite unix -       -       n       -       1       proxymap
            smtp      unix  -       -       n       -       -       smtp
            relay     unix  -       -       n       -       -       smtp
            showq     unix  n       -       n       -       -       showq
            error     unix  -       -       n       -       -       error
            retry     unix  -       -       n       -       -       error
            discard   unix  -       -       n       -       -       discard
            lmtp      unix  -       -       n       -       -       lmtp
            anvil     unix  -       -       n       -       1       anvil
            scache    unix  -       -       n       -       1       scache
            postlog   unix-dgram n  -       n       -       1       postlogd
            tlsmgr    unix  -       -       n       1000?   1       tlsmgr
            """);
        string[] args = ["-c", conf, "start-fg"];
        string output = Path.Combine(conf, "start-fg.out");
        Process master = ServerHelpers.StartBackground("postfix", args, output);
        try
        {
            await ServerHelpers.WaitForPortAsync("Postfix smtpd", SmtpPort, ServerHelpers.Describe("postfix", args), output, master);
        }
        catch (ServerStartException e)
        {
            // Postfix writes a fatal error to stderr only when it is a terminal, else to syslog (absent here).
            throw new ServerStartException($"{e.Message}\nPostfix log {MailLogPath}:\n{ServerHelpers.Tail(MailLogPath)}\n" +
                $"(Postfix prints early fatal errors only to a terminal: run `script -qec '{ServerHelpers.Describe("postfix", args)}' /dev/null` to see them.)", e);
        }
    }
}

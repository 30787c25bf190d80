using System.Text;
using Herald.Bounces;
using Herald.Cli;
using Herald.Email;
using Herald.Tests.Api;
using Herald.Tests.Email;
using Herald.Tests.Servers;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;

namespace Herald.Tests.Cli;

/// <summary>
/// <c>herald bounces receive</c> as a mail system's pipe transport runs it: one message on standard input, exit 0 once
/// the message is recorded or kept aside in <c>DATA/bounces/unmatched/</c>, exit 75 (the mail system keeps it and
/// tries again) when the database cannot be used.
/// </summary>
public class BouncesReceiveTests
{
    private sealed record Result(int Exit, string Output, string Error)
    {
        public override string ToString() => $"exit {Exit}\n--- output ---\n{Output}\n--- error ---\n{Error}";
    }

    private static async Task<Result> ReceiveAsync(IReadOnlyDictionary<string, string?> settings, Stream input)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await HeraldCli.RunAsync(["bounces", "receive"], output, error, settings, input);
        return new(exit, output.ToString(), error.ToString());
    }

    /// <summary>Runs the command against the host's database and data folder, with the host's bounce settings.</summary>
    private static Task<Result> ReceiveAsync(HeraldHost h, byte[] message, string localPart = "bounces")
    {
        var settings = ForgedFeedbackTests.BounceSettings(localPart);
        foreach (var (k, v) in h.Storage.Settings) settings[k] = v;
        return ReceiveAsync(settings, new MemoryStream(message));
    }

    private static string UnmatchedFolder(string dataDirectory) => Path.Combine(dataDirectory, "bounces", "unmatched");

    private static string[] KeptAside(string dataDirectory) =>
        Directory.Exists(UnmatchedFolder(dataDirectory)) ? Directory.GetFiles(UnmatchedFolder(dataDirectory)) : [];

    private static byte[] Crlf(string message) => Encoding.UTF8.GetBytes(message.ReplaceLineEndings("\r\n"));

    /// <summary>The raw bytes of the one message in <paramref name="user"/>'s INBOX, as Dovecot stored it.</summary>
    private static async Task<byte[]> ReturnedAsync(MailServers mail, string user)
    {
        byte[]? raw = null;
        await ServerHelpers.WaitUntilAsync(async () =>
        {
            using var imap = await mail.ImapAsync(user);
            await imap.Inbox.OpenAsync(FolderAccess.ReadOnly);
            if (imap.Inbox.Count > 0)
            {
                using var stream = await imap.Inbox.GetStreamAsync(0, "");
                using var copy = new MemoryStream();
                await stream.CopyToAsync(copy);
                raw = copy.ToArray();
            }
            await imap.DisconnectAsync(true);
            return raw is not null;
        }, HeraldHost.DispatchTimeout, () => $"Postfix returned nothing to {user}'s INBOX.\n{mail.Logs()}");
        return raw!;
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_dsn_that_postfix_wrote_is_recorded_with_exit_0_and_the_same_dsn_again_is_a_duplicate(string provider)
    {
        var mail = await MailServers.Shared;
        // The VERP local part is a Dovecot user of this test's own, with no reader: Postfix's DSN waits in its INBOX.
        var user = await BounceMailboxSetup.NewUserAsync(mail);
        await using var h = await HeraldHost.StartAsync(provider, settings: ForgedFeedbackTests.SmtpSettings(mail, user));
        var address = $"nobody-{Guid.NewGuid().ToString("N")[..12]}@{MailServers.Domain}";
        var contact = await h.Client.AddContactAsync(address);
        var announcement = await h.Client.SendToAsync([contact]);
        await h.Client.WaitForStatusAsync(announcement, contact, "sent");
        var dsn = await ReturnedAsync(mail, user);

        var first = await ReceiveAsync(h, dsn, user);

        Assert.True(first.Exit == 0, first.ToString());
        Assert.Contains("herald: recorded: bounce for delivery", first.Output);
        Assert.Contains("by VERP return path", first.Output);
        var report = await h.Client.ReportAsync(announcement);
        Assert.Equal("hard_bounce", report.StatusOf(contact));
        Assert.Equal("userunknown", report.LineOf(contact).Str("reason"));

        // The mail system delivering the same message twice (a crash after Herald committed) changes nothing.
        var again = await ReceiveAsync(h, dsn, user);
        Assert.True(again.Exit == 0, again.ToString());
        Assert.Contains("herald: duplicate:", again.Output);
        Assert.Single((await h.Client.LogAsync(contact)).Entries(), e => e.Str("source") == "bounce");
        Assert.Empty(KeptAside(h.DataDirectory));
        var next = await h.Client.SendToAsync([contact]);
        Assert.Equal("dropped", (await h.Client.WaitForReportAsync(next, r => r.StatusOf(contact) is not "queued", "a decision")).StatusOf(contact));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_forged_dsn_a_letter_and_garbage_are_each_kept_aside_in_a_file_of_their_own_with_exit_0(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, settings: ForgedFeedbackTests.BounceSettings());
        var address = $"parent-{Guid.NewGuid().ToString("N")[..10]}@example.org";
        var contact = await h.Client.AddContactAsync(address);
        var announcement = await h.Client.SendToAsync([contact]);
        var delivery = (await h.Client.WaitForStatusAsync(announcement, contact, "sent")).LineOf(contact)["deliveryId"]!.GetValue<long>();
        var garbage = new byte[2000];
        new Random(11).NextBytes(garbage);
        for (var i = 0; i < garbage.Length; i++) if (garbage[i] is 0 or (byte)'\r' or (byte)'\n' or (byte)':') garbage[i] = (byte)'#';
        var messages = new (string Outcome, byte[] Bytes)[]
        {
            // No token, and a Message-ID in the old format naming the real delivery.
            ("unmatched", Crlf(FeedbackMail.Dsn(address, $"herald.{delivery}.1.{Guid.NewGuid():N}@{ForgedFeedbackTests.IdDomain}"))),
            ("unmatched", Crlf($"From: {address}\nTo: {MailServers.Address("bounces")}\nSubject: Sports day\n\nWhat time does it start?\n")),
            ("unreadable", garbage),
        };

        var files = new List<string>();
        foreach (var (outcome, bytes) in messages)
        {
            var r = await ReceiveAsync(h, bytes);

            Assert.True(r.Exit == 0, r.ToString());
            Assert.Empty(r.Output);
            var line = Assert.Single(r.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith($"herald: kept aside ({outcome}): ", line);
            var file = Assert.Single(KeptAside(h.DataDirectory).Except(files));
            Assert.EndsWith($"written to {file}", line.TrimEnd());
            Assert.Equal(bytes, await File.ReadAllBytesAsync(file));
            files.Add(file);
        }

        Assert.Equal("sent", (await h.Client.ReportAsync(announcement)).StatusOf(contact));
        Assert.DoesNotContain((await h.Client.LogAsync(contact)).Entries(), e => e.Str("source") == "bounce");
        var next = await h.Client.SendToAsync([contact]);
        Assert.Equal("sent", (await h.Client.WaitForReportAsync(next, r => r.StatusOf(contact) is not "queued", "a decision")).StatusOf(contact));
    }

    /// <summary>
    /// SQLite: the database file's folder does not exist, so SQLite can neither open nor create the file, as when the
    /// data volume is not mounted. PostgreSQL: nothing listens on the port, as when the server is down or restarting.
    /// Both fail where every database use starts (opening a connection), not in a check made for the test.
    /// </summary>
    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task With_the_database_unavailable_receive_exits_75_and_keeps_nothing(string provider)
    {
        var data = Directory.CreateTempSubdirectory("herald-test-receive-").FullName;
        try
        {
            var settings = ForgedFeedbackTests.BounceSettings();
            settings["Herald:DataDirectory"] = data;
            settings["Herald:Database:Provider"] = provider;
            settings["Herald:Database:ConnectionString"] = provider == "sqlite"
                ? $"Data Source={Path.Combine(data, "not-mounted", "herald.db")}"
                : $"Host=127.0.0.1;Port={ServerHelpers.FreePort()};Database=herald;Username=herald;Password=herald;Timeout=10";
            using var input = new MemoryStream(Crlf(FeedbackMail.Dsn($"parent@{MailServers.Domain}", "anything@example.org")));

            var r = await ReceiveAsync(settings, input);

            Assert.True(r.Exit == 75, r.ToString());
            var line = Assert.Single(r.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("herald: the database is unavailable: ", line);
            Assert.Contains("exit 75", line);
            Assert.Empty(r.Output);
            Assert.Empty(KeptAside(data));
        }
        finally { Directory.Delete(data, true); }
    }

    [Fact]
    public async Task A_message_that_cannot_be_kept_aside_exits_75_so_the_mail_system_keeps_it()
    {
        using var storage = await HeraldStorage.CreateAsync("sqlite");
        // A file where the bounces folder belongs: the unmatched folder cannot be created.
        await File.WriteAllTextAsync(Path.Combine(storage.DataDirectory, "bounces"), "");
        using var input = new MemoryStream(Crlf(FeedbackMail.Dsn($"parent@{MailServers.Domain}", "anything@example.org")));

        var r = await ReceiveAsync(storage.Settings, input);

        Assert.True(r.Exit == 75, r.ToString());
        var line = Assert.Single(r.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"herald: cannot keep the unmatched message aside in {UnmatchedFolder(storage.DataDirectory)}: ", line);
        Assert.Empty(r.Output);
    }

    [Fact]
    public async Task A_report_over_the_size_cap_is_kept_aside_unparsed_with_its_head_and_reason_and_changes_no_delivery()
    {
        const int cap = 100_000;
        await using var h = await HeraldHost.StartAsync("sqlite", settings: ForgedFeedbackTests.BounceSettings());
        var address = $"parent-{Guid.NewGuid().ToString("N")[..10]}@example.org";
        var contact = await h.Client.AddContactAsync(address);
        var announcement = await h.Client.SendToAsync([contact]);
        var delivery = (await h.Client.WaitForStatusAsync(announcement, contact, "sent")).LineOf(contact)["deliveryId"]!.GetValue<long>();
        // A real failure report to the delivery's own VERP return path (recorded as a hard bounce were it small), made
        // larger than the cap by what follows its last part.
        var verp = new VerpAddress("bounces", MailServers.Domain, ForgedFeedbackTests.Secret).For(delivery, 1);
        var original = new MimeKit.MimeMessage { Subject = "Sports day", MessageId = $"{Guid.NewGuid():N}@{ForgedFeedbackTests.IdDomain}" };
        var dsn = Herald.Tests.Email.Reports.Dsn(verp, address, original, "failed", "5.1.1", $"550 5.1.1 <{address}>: User unknown");
        var filler = string.Concat(Enumerable.Repeat("The returned original, quoted in full. " + new string('x', 60) + "\n", cap / 80));
        var big = Crlf(dsn + "\n" + filler);
        Assert.True(big.Length > cap + 1);
        using var input = new MemoryStream(big);
        var settings = ForgedFeedbackTests.BounceSettings();
        foreach (var (k, v) in h.Storage.Settings) settings[k] = v;
        settings["Herald:Email:Bounces:MaxMessageBytes"] = cap.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var r = await ReceiveAsync(settings, input);

        Assert.True(r.Exit == 0, r.ToString());
        Assert.Empty(r.Output);
        var line = Assert.Single(r.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"herald: kept aside (oversized): larger than Herald:Email:Bounces:MaxMessageBytes ({cap} bytes); not parsed; ", line);
        var file = Assert.Single(Directory.GetFiles(Path.Combine(h.DataDirectory, "bounces", "oversized")));
        Assert.Contains($"its first {BouncesCommand.OversizedHeadBytes} bytes written to {file}, the rest was not read", line);
        Assert.Equal(big.AsSpan(0, BouncesCommand.OversizedHeadBytes).ToArray(), await File.ReadAllBytesAsync(file));
        Assert.Equal(cap + 1, input.Position);
        Assert.Empty(KeptAside(h.DataDirectory));
        Assert.Equal("sent", (await h.Client.ReportAsync(announcement)).StatusOf(contact));
        Assert.DoesNotContain((await h.Client.LogAsync(contact)).Entries(), e => e.Str("source") == "bounce");
    }
}

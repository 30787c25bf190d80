using System.Net;
using System.Text;
using Herald.Tests.Api;
using Herald.Tests.Servers;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Herald.Tests.Email;

/// <summary>
/// The bounce mailbox reader against the real Postfix + Dovecot (docs/testing.md): what comes back to the mailbox
/// becomes an event on its delivery, and every message ends up in the processed or the unmatched folder.
/// </summary>
public class BounceMailboxTests
{
    private const string Processed = BounceMailboxSetup.Processed, Unmatched = BounceMailboxSetup.Unmatched;

    private static string Unknown() => $"nobody-{Guid.NewGuid():N}"[..20] + "@" + MailServers.Domain;

    /// <summary>Submits the message as it went out to the real Postfix, with Herald's VERP return path.</summary>
    private static async Task RelayAsync(BounceMailboxSetup s, SentDelivery d)
    {
        using var smtp = new SmtpClient();
        await smtp.ConnectAsync(s.Mail.SmtpHost, s.Mail.SmtpPort, SecureSocketOptions.None);
        await smtp.SendAsync(d.Message, MailboxAddress.Parse(s.ReturnPath(d)), [MailboxAddress.Parse(d.Address)]);
        await smtp.DisconnectAsync(true);
    }

    private static async Task<IReadOnlyList<System.Text.Json.Nodes.JsonNode>> BounceLogAsync(BounceMailboxSetup s, long contact) =>
        (await s.Client.LogAsync(contact)).Entries().Where(e => e.Str("source") == "bounce").Select(e => e!).ToList();

    /// <summary>Waits until the one message is processed; asserts it went into the contact's log without a status and
    /// changed neither the delivery nor the address. Returns the log entry's detail.</summary>
    private static async Task<string?> LoggedOnlyAsync(BounceMailboxSetup s, SentDelivery d)
    {
        await s.WaitForFolderAsync(Processed, 1);
        var entry = Assert.Single(await BounceLogAsync(s, d.ContactId));
        Assert.Null(entry.Str("status"));
        Assert.Equal("sent", (await s.Client.ReportAsync(d.AnnouncementId)).StatusOf(d.ContactId));
        Assert.Equal("sent", await s.SendAgainAsync(d.ContactId));
        return entry.Str("detail");
    }

    [Theory]
    [MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_real_postfix_bounce_for_an_unknown_user_is_a_hard_bounce_and_the_next_announcement_is_dropped(string provider)
    {
        await using var s = await BounceMailboxSetup.StartAsync(provider);
        var d = await s.SendAsync(Unknown());

        await RelayAsync(s, d);

        var report = await s.Client.WaitForStatusAsync(d.AnnouncementId, d.ContactId, "hard_bounce");
        Assert.Equal("userunknown", report.LineOf(d.ContactId).Str("reason"));
        var processed = await s.WaitForFolderAsync(Processed, 1);
        Assert.DoesNotContain(processed, id => id is null);
        var entry = Assert.Single(await BounceLogAsync(s, d.ContactId));
        Assert.Equal("hard_bounce", entry.Str("status"));
        Assert.Contains("5.1.1", entry.Str("detail"));
        Assert.Contains("VERP", entry.Str("detail"));
        Assert.Equal("dropped", await s.SendAgainAsync(d.ContactId));
    }

    [Theory]
    [MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task An_arf_complaint_is_spam_and_suppresses_the_address_until_support_resets_it(string provider)
    {
        await using var s = await BounceMailboxSetup.StartAsync(provider);
        var address = $"pat-{Guid.NewGuid():N}"[..16] + "@example.org";
        var d = await s.SendAsync(address);

        // A feedback loop writes to the plain bounce address, not the VERP one: matched by Message-ID and recipient.
        await s.AppendAsync(Reports.ArfComplaint(MailServers.Address(s.User), address, d.Message));

        await s.Client.WaitForStatusAsync(d.AnnouncementId, d.ContactId, "spam");
        await s.WaitForFolderAsync(Processed, 1);
        Assert.Contains("Message-ID", Assert.Single(await BounceLogAsync(s, d.ContactId)).Str("detail"));
        Assert.Equal("dropped", await s.SendAgainAsync(d.ContactId));

        await s.Host.Operator.PostJson("api/v1/addresses/reset", new { address, by = "support", why = "recipient asked to be mailed again", school = s.Host.School.Id })
            .ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("sent", await s.SendAgainAsync(d.ContactId));
    }

    [Fact]
    public async Task An_auto_reply_is_logged_only_and_never_counts_as_a_bounce()
    {
        await using var s = await BounceMailboxSetup.StartAsync("sqlite");
        var address = $"away-{Guid.NewGuid():N}"[..16] + "@example.org";
        var d = await s.SendAsync(address);

        await s.AppendAsync(Reports.AutoReply(s.ReturnPath(d), address, d.Message));

        Assert.Contains("auto-reply", await LoggedOnlyAsync(s, d));
    }

    [Theory]
    [MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_delayed_dsn_is_a_soft_bounce_a_delivered_dsn_wins_and_neither_a_late_delay_nor_a_duplicate_changes_anything(string provider)
    {
        await using var s = await BounceMailboxSetup.StartAsync(provider);
        var address = $"slow-{Guid.NewGuid():N}"[..16] + "@example.org";
        var d = await s.SendAsync(address);
        var delayed = Reports.Dsn(s.ReturnPath(d), address, d.Message, "delayed", "4.4.1",
            "connect to mx.example.org[192.0.2.7]:25: Connection timed out");

        await s.AppendAsync(delayed);
        var report = await s.Client.WaitForStatusAsync(d.AnnouncementId, d.ContactId, "soft_bounce");
        await s.WaitForFolderAsync(Processed, 1);
        // The relay keeps trying a delayed message itself: Herald must not send it again.
        Assert.Single(Directory.GetFiles(s.Host.SandboxEmailFolder, $"{d.DeliveryId}-*.eml"));

        // The same report again (as after a crash before the move): a duplicate, nothing changes.
        await s.AppendAsync(delayed);
        await s.WaitForFolderAsync(Processed, 2);
        Assert.Single(await BounceLogAsync(s, d.ContactId));

        // A positive DSN to the plain address, matched by the quoted Message-ID and the final recipient.
        await s.AppendAsync(Reports.Dsn(MailServers.Address(s.User), address, d.Message, "delivered", "2.0.0", "250 2.0.0 Ok: queued as 4XyZ"));
        await s.Client.WaitForStatusAsync(d.AnnouncementId, d.ContactId, "delivered");
        await s.WaitForFolderAsync(Processed, 3);

        // A late delay report does not take the delivery back to soft_bounce.
        await s.AppendAsync(Reports.Dsn(s.ReturnPath(d), address, d.Message, "delayed", "4.4.1", "connect to mx.example.org: Connection timed out"));
        await s.WaitForFolderAsync(Processed, 4);
        report = await s.Client.ReportAsync(d.AnnouncementId);
        Assert.Equal("delivered", report.StatusOf(d.ContactId));
        var log = await BounceLogAsync(s, d.ContactId);
        Assert.Equal(["soft_bounce", "delivered", "soft_bounce"], log.Select(e => e.Str("status")));
        Assert.Equal(3, log.Select(e => e.Str("providerEventId")).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Unmatched_forged_and_garbage_messages_go_to_the_unmatched_folder_and_the_metric(string provider)
    {
        await using var s = await BounceMailboxSetup.StartAsync(provider);
        var address = $"kim-{Guid.NewGuid():N}"[..16] + "@example.org";
        var d = await s.SendAsync(address);
        var before = await s.BounceMailMetricAsync("unmatched") + await s.BounceMailMetricAsync("unreadable");

        // A bounce of somebody else's mail.
        var stranger = new MimeMessage { Subject = "Not ours", MessageId = "stranger-1@elsewhere.example" };
        stranger.From.Add(MailboxAddress.Parse("a@elsewhere.example"));
        stranger.To.Add(MailboxAddress.Parse(address));
        await s.AppendAsync(Reports.Dsn(MailServers.Address(s.User), address, stranger, "failed", "5.1.1", "550 5.1.1 User unknown"));
        // A token shaped like ours for this very delivery, with a made-up MAC.
        var forged = $"{s.User}+{d.DeliveryId}-1-aaaaaaaaaaaaaaaa@{MailServers.Domain}";
        await s.AppendAsync(Reports.Dsn(forged, address, stranger, "failed", "5.1.1", "550 5.1.1 User unknown"));
        // Herald's Message-ID, but another recipient bounced: a Message-ID is no proof on its own.
        await s.AppendAsync(Reports.Dsn(MailServers.Address(s.User), "someone.else@example.org", d.Message, "failed", "5.1.1", "550 5.1.1 User unknown"));
        // Garbage, and an ordinary message.
        var garbage = new byte[3000];
        new Random(7).NextBytes(garbage);
        for (int i = 0; i < garbage.Length; i++) if (garbage[i] is 0 or (byte)'\r' or (byte)'\n') garbage[i] = (byte)'x';
        await s.AppendAsync([.. Encoding.ASCII.GetBytes("\x01\x02 not a header\r\n"), .. garbage]);
        await s.AppendAsync(Reports.Ordinary(MailServers.Address(s.User)));

        await s.WaitForFolderAsync(Unmatched, 5);
        Assert.Null(await s.FolderAsync(Processed) is { Count: > 0 } p ? p : null);
        Assert.Equal("sent", (await s.Client.ReportAsync(d.AnnouncementId)).StatusOf(d.ContactId));
        Assert.Empty(await BounceLogAsync(s, d.ContactId));
        Assert.True(await s.BounceMailMetricAsync("unmatched") + await s.BounceMailMetricAsync("unreadable") >= before + 5,
            "herald_bounce_mail_total{outcome=unmatched|unreadable} did not count the five messages");
        Assert.Equal("sent", await s.SendAgainAsync(d.ContactId));
    }

    [Fact]
    public async Task A_bounce_about_an_attempt_before_a_resend_is_logged_only()
    {
        await using var s = await BounceMailboxSetup.StartAsync("sqlite");
        var address = $"old-{Guid.NewGuid():N}"[..16] + "@example.org";
        var first = await s.SendAsync(address);
        await s.Client.PostJson($"api/v1/announcements/{first.AnnouncementId}/resend",
            new { contactIds = new[] { first.ContactId }, force = true, by = "office" }).ExpectAsync(HttpStatusCode.OK);
        await s.Client.WaitForReportAsync(first.AnnouncementId,
            r => r.LineOf(first.ContactId)["attempt"]!.GetValue<int>() == 2 && r.StatusOf(first.ContactId) == "sent", "attempt 2 to be sent");

        // The first attempt's return path, arriving after the resend.
        await s.AppendAsync(Reports.Dsn(s.ReturnPath(first), address, first.Message, "failed", "5.1.1", "550 5.1.1 User unknown"));

        await s.WaitForFolderAsync(Processed, 1);
        var entry = Assert.Single(await BounceLogAsync(s, first.ContactId));
        Assert.Equal("hard_bounce", entry.Str("status"));
        Assert.Equal(1, entry["attempt"]!.GetValue<int>());
        Assert.Contains("(about attempt 1; the delivery is on attempt 2, so its status stays)", entry.Str("detail"));
        Assert.Equal("sent", (await s.Client.ReportAsync(first.AnnouncementId)).StatusOf(first.ContactId));
        Assert.Equal("sent", await s.SendAgainAsync(first.ContactId));
    }

    [Fact]
    public async Task Without_idle_move_and_uidplus_the_reader_polls_and_moves_by_copy_and_expunge()
    {
        await using var s = await BounceMailboxSetup.StartAsync("sqlite", settings: new Dictionary<string, string?>
        {
            ["Herald:Email:Bounces:Imap:DisableExtensions:0"] = "IDLE",
            ["Herald:Email:Bounces:Imap:DisableExtensions:1"] = "move",
            ["Herald:Email:Bounces:Imap:DisableExtensions:2"] = "UIDPLUS",
        });
        var d = await s.SendAsync(Unknown());

        await RelayAsync(s, d);
        await s.AppendAsync(Reports.Ordinary(MailServers.Address(s.User)));

        await s.Client.WaitForStatusAsync(d.AnnouncementId, d.ContactId, "hard_bounce");
        await s.WaitForFolderAsync(Processed, 1);
        await s.WaitForFolderAsync(Unmatched, 1);
        Assert.Equal("polling", (await s.Health())["bounceMailbox"].Str("waitsBy"));
    }

    [Fact]
    public async Task With_the_imap_server_down_the_reader_backs_off_and_recovers_when_it_comes_back()
    {
        var mail = await MailServers.Shared;
        var port = ServerHelpers.FreePort();
        await using var s = await BounceMailboxSetup.StartAsync("sqlite", imapPort: port);
        var address = $"lee-{Guid.NewGuid():N}"[..16] + "@example.org";
        var d = await s.SendAsync(address);
        await s.AppendAsync(Reports.Dsn(MailServers.Address(s.User), address, d.Message, "delivered", "2.0.0", "250 2.0.0 Ok"));

        System.Text.Json.Nodes.JsonNode health = null!;
        await ServerHelpers.WaitUntilAsync(async () =>
        {
            health = await s.Health();
            return health["bounceMailbox"]?["consecutiveFailures"]?.GetValue<int>() >= 2;
        }, HeraldHost.DispatchTimeout, () => $"the reader did not retry: {health.ToJsonString()}");
        Assert.Equal("healthy", health.Str("status"));
        Assert.Equal("retrying", health["bounceMailbox"].Str("state"));
        Assert.Contains("Connection refused", health["bounceMailbox"].Str("lastError"), StringComparison.OrdinalIgnoreCase);
        Assert.NotNull(health["bounceMailbox"]!["nextTryAt"]);
        Assert.Equal("sent", (await s.Client.ReportAsync(d.AnnouncementId)).StatusOf(d.ContactId));

        using var comesBack = new TcpForwarder(port, mail.ImapsPort);

        await s.Client.WaitForStatusAsync(d.AnnouncementId, d.ContactId, "delivered");
        await s.WaitForFolderAsync(Processed, 1);
        health = await s.Health();
        Assert.Equal("connected", health["bounceMailbox"].Str("state"));
        Assert.Equal("idle", health["bounceMailbox"].Str("waitsBy"));
        Assert.Equal(0, health["bounceMailbox"]!["consecutiveFailures"]!.GetValue<int>());
    }
}

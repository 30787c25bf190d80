using Herald.Tests.Api;
using Herald.Tests.Servers;

namespace Herald.Tests.Email;

/// <summary>
/// The whole email loop with nothing in between: Herald sends through the real Postfix with its SMTP transport and
/// signed VERP return path, Postfix delivers or bounces on its own, and Herald's IMAP reader turns the bounce that
/// comes back into the recipient's status. Only Herald's public API and the mailboxes are looked at.
/// </summary>
public class EmailLoopTests
{
    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_good_address_gets_the_message_and_an_unknown_user_comes_back_as_a_hard_bounce_that_drops_the_next_send(string provider)
    {
        var mail = await MailServers.Shared;
        await using var s = await BounceMailboxSetup.StartAsync(provider, settings: new Dictionary<string, string?>
        {
            ["Herald:Transport:Email"] = "smtp",
            ["Herald:Email:Smtp:Host"] = mail.SmtpHost,
            ["Herald:Email:Smtp:Port"] = mail.SmtpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Herald:Email:Smtp:Security"] = "none",
        });
        var tag = Guid.NewGuid().ToString("N")[..10];
        var good = $"carol+loop-{tag}@{MailServers.Domain}";
        var unknown = $"nobody-{tag}@{MailServers.Domain}";
        var goodContact = await s.Client.AddContactAsync(good);
        var unknownContact = await s.Client.AddContactAsync(unknown);
        var announcement = await s.Client.SendToAsync([goodContact, unknownContact]);

        // Postfix accepts both at RCPT: both are sent. The good one lands in carol's mailbox with Herald's return path.
        var report = await s.Client.WaitForReportAsync(announcement,
            r => r.StatusOf(goodContact) != "queued" && r.StatusOf(unknownContact) != "queued", "both to leave the queue");
        Assert.Equal("sent", report.StatusOf(goodContact));
        var goodDelivery = report.LineOf(goodContact)["deliveryId"]!.GetValue<long>();
        var arrived = await mail.WaitForMessageAsync("carol", m => m.To.Mailboxes.Any(x => x.Address == good));
        Assert.Equal((goodDelivery, 1), s.Verp.Parse(arrived.Headers["Return-Path"]));

        // The unknown user: Dovecot refuses it, Postfix writes a real DSN to the VERP address, the reader records it.
        var bounced = await s.Client.WaitForStatusAsync(announcement, unknownContact, "hard_bounce");
        Assert.Contains("userunknown", bounced.LineOf(unknownContact).Str("reason") ?? "");
        Assert.Equal("sent", bounced.StatusOf(goodContact));
        await s.WaitForFolderAsync(BounceMailboxSetup.Processed, 1);
        var log = (await s.Client.LogAsync(unknownContact)).Entries();
        Assert.Equal(["queued", "sent", "hard_bounce"], log.Where(e => e.Str("status") is not null).Select(e => e.Str("status")).ToList());
        Assert.Contains("5.1.1", log.Single(e => e.Str("status") == "hard_bounce").Str("detail"));

        // The address is now failed: the next announcement drops it and still reaches the good one.
        var next = await s.Client.SendToAsync([goodContact, unknownContact]);
        var nextReport = await s.Client.WaitForStatusAsync(next, goodContact, "sent");
        Assert.Equal("dropped", nextReport.StatusOf(unknownContact));
    }
}

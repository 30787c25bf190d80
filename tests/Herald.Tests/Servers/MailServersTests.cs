using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Herald.Tests.Servers;

public class MailServersTests
{
    private static MimeMessage Announcement(string to, string subject)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Greenfield School", MailServers.Address("office")));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = subject;
        message.Headers.Add("X-Herald-Recipient", "rcpt-42");
        message.Body = new TextPart("plain") { Text = "School is closed tomorrow." };
        return message;
    }

    private static async Task<string> SendAsync(MailServers mail, MimeMessage message, string envelopeSender)
    {
        using var smtp = new SmtpClient();
        await smtp.ConnectAsync(mail.SmtpHost, mail.SmtpPort, SecureSocketOptions.None);
        string reply = await smtp.SendAsync(message, MailboxAddress.Parse(envelopeSender), message.To.Mailboxes);
        await smtp.DisconnectAsync(true);
        return reply;
    }

    [Fact]
    public async Task Mail_to_a_known_user_arrives_in_their_inbox_with_headers_intact()
    {
        var mail = await MailServers.Shared;
        string subject = $"Snow day {Guid.NewGuid()}";
        await SendAsync(mail, Announcement(MailServers.Address("alice"), subject), MailServers.Address("bounces+abc"));

        var received = await mail.WaitForMessageAsync("alice", m => m.Subject == subject);

        Assert.Equal("rcpt-42", received.Headers["X-Herald-Recipient"]);
        Assert.Equal(MailServers.Address("office"), received.From.Mailboxes.Single().Address);
        Assert.Equal("<bounces+abc@school.test>", received.Headers[HeaderId.ReturnPath]);
        Assert.Contains("School is closed tomorrow.", received.TextBody);
    }

    [Fact]
    public async Task Mail_to_an_unknown_user_bounces_with_a_5_1_1_dsn_to_the_verp_sender()
    {
        var mail = await MailServers.Shared;
        string token = Guid.NewGuid().ToString("N")[..12];
        string subject = $"Trip form {token}";
        await SendAsync(mail, Announcement(MailServers.Address("nobody"), subject), MailServers.Address($"bounces+{token}"));

        var bounce = await mail.WaitForMessageAsync("bounces", m => m.Headers[HeaderId.To]?.Contains(token) == true);

        var report = Assert.IsType<MultipartReport>(bounce.Body);
        Assert.Equal("delivery-status", report.ReportType);
        var status = Assert.Single(report.OfType<MessageDeliveryStatus>());
        var recipientFields = status.StatusGroups.Skip(1).Single();
        Assert.Equal("5.1.1", recipientFields["Status"]);
        Assert.Equal("failed", recipientFields["Action"]);
        Assert.Contains("nobody@school.test", recipientFields["Final-Recipient"]);
    }

    [Fact]
    public async Task The_greylist_address_gets_a_450_and_the_policy_address_a_550_5_7_1()
    {
        var mail = await MailServers.Shared;

        var greylisted = await Assert.ThrowsAsync<SmtpCommandException>(() =>
            SendAsync(mail, Announcement(MailServers.GreylistAddress, "greylist"), MailServers.Address("bounces+g")));
        var refused = await Assert.ThrowsAsync<SmtpCommandException>(() =>
            SendAsync(mail, Announcement(MailServers.PolicyAddress, "policy"), MailServers.Address("bounces+p")));

        Assert.Equal(450, (int)greylisted.StatusCode);
        Assert.Contains("4.7.1", greylisted.Message);
        Assert.Contains("Greylisted, try again later", greylisted.Message);
        Assert.Equal(550, (int)refused.StatusCode);
        Assert.Contains("5.7.1", refused.Message);
        Assert.Contains("Message rejected by policy", refused.Message);
    }

    [Fact]
    public async Task A_changed_recipient_answer_takes_effect_after_reload()
    {
        var mail = await MailServers.Shared;
        string user = $"grey{Guid.NewGuid().ToString("N")[..8]}";
        await mail.AddUserAsync(user);
        await mail.SetRecipientAnswerAsync(MailServers.Address(user), "450 4.7.1 Greylisted, try again later");
        var first = await Assert.ThrowsAsync<SmtpCommandException>(() =>
            SendAsync(mail, Announcement(MailServers.Address(user), "first try"), MailServers.Address("bounces+x")));

        await mail.RemoveRecipientAnswerAsync(MailServers.Address(user));
        await SendAsync(mail, Announcement(MailServers.Address(user), "second try"), MailServers.Address("bounces+x"));

        Assert.Equal(450, (int)first.StatusCode);
        Assert.Equal("second try", (await mail.WaitForMessageAsync(user, m => m.Subject == "second try")).Subject);
    }

    [Fact]
    public async Task Flushing_the_queue_reaches_the_running_postfix()
    {
        var mail = await MailServers.Shared;
        // postqueue -f exits non-zero ("mail system is down") unless it reaches this instance's master.
        await mail.FlushQueueAsync();
    }
}

public class SmtpSinkTests
{
    [Fact]
    public async Task The_sink_accepts_a_message()
    {
        await using var sink = await SmtpSink.StartAsync();
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("office@school.test"));
        message.To.Add(MailboxAddress.Parse("anyone@example.test"));
        message.Subject = "load";
        message.Body = new TextPart("plain") { Text = "x" };

        using var smtp = new SmtpClient();
        await smtp.ConnectAsync(sink.Host, sink.Port, SecureSocketOptions.None);
        string reply = await smtp.SendAsync(message);
        await smtp.DisconnectAsync(true);

        Assert.StartsWith("2.0.0", reply.Trim());
    }
}

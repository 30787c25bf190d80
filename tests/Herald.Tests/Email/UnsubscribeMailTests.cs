using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Herald.Cli;
using Herald.Tests.Api;
using Herald.Tests.Servers;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Herald.Tests.Email;

/// <summary>
/// The mailto form of List-Unsubscribe (RFC 2369): mail to <c>unsubscribe+TOKEN@bounce-domain</c> opts the contact out
/// like the one-click link, whether it arrives in the bounce mailbox (the real Postfix and Dovecot) or through
/// <c>herald bounces receive</c>; it is never a bounce.
/// </summary>
public class UnsubscribeMailTests
{
    private const string Processed = BounceMailboxSetup.Processed, Unmatched = BounceMailboxSetup.Unmatched;

    private static string Address() => $"pat-{Guid.NewGuid():N}"[..16] + "@" + MailServers.Domain;

    /// <summary>The mailto address in the message's List-Unsubscribe header.</summary>
    private static string MailtoOf(MimeMessage m)
    {
        var match = Regex.Match(m.Headers["List-Unsubscribe"] ?? "", "<mailto:(unsubscribe\\+[a-z2-7]{26}-[a-z2-7]{16}@[^?>]+)\\?subject=unsubscribe>");
        Assert.True(match.Success, m.Headers.ToString());
        return match.Groups[1].Value;
    }

    /// <summary>What a mail client sends for the mailto link: From the recipient, To the unsubscribe address.</summary>
    private static MimeMessage Reply(string from, string to, MimeMessage original) => new(
        [MailboxAddress.Parse(from)], [MailboxAddress.Parse(to)], "unsubscribe", new TextPart("plain") { Text = "unsubscribe" })
    {
        InReplyTo = original.MessageId,
        MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId("example.org"),
    };

    private static async Task<List<JsonNode>> LogAsync(HttpClient client, long contact, string source) =>
        (await client.LogAsync(contact)).Entries().Where(e => e.Str("source") == source).Select(e => e!).ToList();

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Mail_to_the_unsubscribe_address_through_the_real_postfix_opts_out_and_is_moved_to_the_processed_folder(string provider)
    {
        await using var s = await BounceMailboxSetup.StartAsync(provider);
        var address = Address();
        var d = await s.SendAsync(address);
        var mailto = MailtoOf(d.Message);
        var before = await s.BounceMailMetricAsync("unsubscribed");

        // The bounce domain delivers every local part to the bounce mailbox: the envelope goes to this test's mailbox,
        // the header names the unsubscribe address, as the recipient's mail client wrote it.
        using (var smtp = new SmtpClient())
        {
            await smtp.ConnectAsync(s.Mail.SmtpHost, s.Mail.SmtpPort, SecureSocketOptions.None);
            await smtp.SendAsync(Reply(address, mailto, d.Message), MailboxAddress.Parse(address), [MailboxAddress.Parse(MailServers.Address(s.User))]);
            await smtp.DisconnectAsync(true);
        }

        await s.WaitForFolderAsync(Processed, 1);
        var entry = Assert.Single(await LogAsync(s.Client, d.ContactId, "reply"));
        Assert.Contains("opted out of 'general' by email", entry.Str("detail"));
        Assert.Empty(await LogAsync(s.Client, d.ContactId, "bounce"));
        Assert.Equal("sent", (await s.Client.ReportAsync(d.AnnouncementId)).StatusOf(d.ContactId));
        Assert.Equal("opted_out", await s.SendAgainAsync(d.ContactId));
        Assert.True(await s.BounceMailMetricAsync("unsubscribed") > before);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Mail_to_a_forged_unsubscribe_address_is_kept_aside_as_unmatched_and_changes_nothing(string provider)
    {
        await using var s = await BounceMailboxSetup.StartAsync(provider);
        var address = Address();
        var d = await s.SendAsync(address);
        var mailto = MailtoOf(d.Message);
        var plus = mailto.IndexOf('+') + 1;
        var forged = mailto[..plus] + (mailto[plus] == 'a' ? 'b' : 'a') + mailto[(plus + 1)..];

        using var raw = new MemoryStream();
        await Reply(address, forged, d.Message).WriteToAsync(raw);
        await s.AppendAsync(raw.ToArray());

        await s.WaitForFolderAsync(Unmatched, 1);
        Assert.Empty(await LogAsync(s.Client, d.ContactId, "reply"));
        Assert.Equal("sent", await s.SendAgainAsync(d.ContactId));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Mail_to_the_unsubscribe_address_piped_to_herald_bounces_receive_opts_out_with_exit_0(string provider)
    {
        var settings = ForgedFeedbackTests.BounceSettings();
        await using var h = await HeraldHost.StartAsync(provider, settings: settings);
        var address = Address();
        var contact = await h.Client.AddContactAsync(address);
        var (_, _, sent) = await UnsubscribeTests.SendAsync(h, contact, "general");
        using var raw = new MemoryStream();
        await Reply(address, MailtoOf(sent), sent).WriteToAsync(raw);
        foreach (var (k, v) in h.Storage.Settings) settings[k] = v;
        var output = new StringWriter();
        var error = new StringWriter();

        var exit = await HeraldCli.RunAsync(["bounces", "receive"], output, error, settings, new MemoryStream(raw.ToArray()));

        Assert.True(exit == 0, $"exit {exit}\n{output}\n{error}");
        Assert.StartsWith("herald: unsubscribed: unsubscribe request", output.ToString());
        Assert.Equal("reply", Assert.Single(await LogAsync(h.Client, contact, "reply")).Str("source"));
        var next = await h.Client.AddAnnouncementAsync([contact]);
        await h.Client.SendAsync(next);
        await h.Client.WaitForStatusAsync(next, contact, "opted_out");
    }
}

using System.Net.Sockets;
using Herald.Tests.Api;
using Herald.Tests.Reports;

namespace Herald.Tests.Addresses;

/// <summary>The queue monitor's bounce mail over real HTTP: the files <c>herald bounces receive</c> kept aside are
/// counted; what Herald does not count (the IMAP folder's backlog, the unmatched folder on the server) is said to be
/// unknown, never shown as 0.</summary>
public class QueueBounceMailTests
{
    [Fact]
    public async Task Without_a_mailbox_the_monitor_counts_what_was_kept_aside_and_says_there_is_no_mailbox()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        var folder = Path.Combine(h.DataDirectory, "bounces", "unmatched");
        Directory.CreateDirectory(folder);
        foreach (var name in new[] { "20260101T000000.000Z-unmatched-1.eml", "20260102T000000.000Z-not_bounce-2.eml", "being-written.eml.part" })
            await File.WriteAllTextAsync(Path.Combine(folder, name), "From: mailer-daemon@example.org\r\n\r\nx");
        var v = await StaffVisitor.SignInAsync(h, null);

        var text = ReportPagesTests.Text(await v.PageAsync("support/queue"));
        Assert.Contains("No bounce mailbox is configured (Herald:Email:Bounces:Imap:Host)", text);
        Assert.Contains($"2 message(s) in {folder} (the newest from ", text);
        Assert.Contains("0 message(s) too large to read", text);
    }

    [Fact]
    public async Task With_a_mailbox_that_cannot_be_reached_the_monitor_says_so_and_that_the_backlog_is_not_known()
    {
        // A port nothing listens on: the reader fails and retries.
        var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false, settings: new Dictionary<string, string?>
        {
            ["Herald:Email:Bounces:Domain"] = "bounces.school.example",
            ["Herald:Email:Bounces:TokenSecret"] = "a secret of at least thirty-two characters for tokens",
            ["Herald:Email:Bounces:Imap:Host"] = "127.0.0.1",
            ["Herald:Email:Bounces:Imap:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Herald:Email:Bounces:Imap:Username"] = "bounces",
            ["Herald:Email:Bounces:Imap:Password"] = "secret",
        });
        var v = await StaffVisitor.SignInAsync(h, null);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        string text;
        do
        {
            text = ReportPagesTests.Text(await v.PageAsync("support/queue"));
            if (text.Contains("cannot reach the mailbox")) break;
            await Task.Delay(100);
        } while (DateTime.UtcNow < deadline);
        Assert.Matches(@"⚠ cannot reach the mailbox, retrying \(\d+ failed sessions in a row; next try \d{4}-\d\d-\d\d \d\d:\d\d UTC\)", text);
        Assert.Contains("Last error SocketException: Connection refused", text);
        Assert.Contains("Not known: Herald does not count the messages waiting in INBOX", text);
        Assert.Contains("Not known: Herald moves them to Herald/Unmatched on the mail server", text);
    }
}

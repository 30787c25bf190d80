using System.Text;
using Herald.Bounces;
using Herald.Tests.Api;
using Herald.Tests.Servers;

namespace Herald.Tests.Email;

/// <summary>
/// Returned mail is read within bounds (docs/email.md, "Bounded bounce mail"): a message past
/// Herald:Email:Bounces:MaxMessageBytes is never downloaded or parsed but kept aside, and a header section past its bound
/// is not handed to the parser.
/// </summary>
public class BoundedBounceMailTests
{
    private const string Oversized = "Herald/Oversized";

    /// <summary>A failure report for the delivery to its VERP return path, grown past <paramref name="atLeast"/> bytes
    /// by what follows its last part (so that, but for its size, it would be recorded as a hard bounce).</summary>
    private static string BigDsn(BounceMailboxSetup s, SentDelivery d, int atLeast)
    {
        var dsn = Reports.Dsn(s.ReturnPath(d), d.Address, d.Message, "failed", "5.1.1", $"550 5.1.1 <{d.Address}>: User unknown");
        var line = "The returned original, quoted in full. " + new string('x', 60) + "\n";
        return dsn + "\n" + string.Concat(Enumerable.Repeat(line, atLeast / line.Length + 10));
    }

    [Fact]
    public async Task A_report_over_the_size_cap_in_the_mailbox_is_moved_unread_to_the_oversized_folder_and_the_next_is_still_read()
    {
        const int cap = 100_000;
        await using var s = await BounceMailboxSetup.StartAsync("sqlite",
            settings: new Dictionary<string, string?> { ["Herald:Email:Bounces:MaxMessageBytes"] = $"{cap}" });
        var big = await s.SendAsync($"big-{Guid.NewGuid():N}"[..14] + "@example.org");
        var small = await s.SendAsync($"small-{Guid.NewGuid():N}"[..16] + "@example.org");

        await s.AppendAsync(BigDsn(s, big, cap));
        await s.AppendAsync(Reports.Dsn(s.ReturnPath(small), small.Address, small.Message, "failed", "5.1.1", $"550 5.1.1 <{small.Address}>: User unknown"));

        await s.Client.WaitForStatusAsync(small.AnnouncementId, small.ContactId, "hard_bounce");
        await s.WaitForFolderAsync(Oversized, 1);
        Assert.Single((await s.FolderAsync(BounceMailboxSetup.Processed))!);
        Assert.Empty((await s.FolderAsync(BounceMailboxSetup.Unmatched)) ?? []);
        Assert.Equal("sent", (await s.Client.ReportAsync(big.AnnouncementId)).StatusOf(big.ContactId));
        Assert.DoesNotContain((await s.Client.LogAsync(big.ContactId)).Entries(), e => e.Str("source") == "bounce");
        Assert.True(await s.BounceMailMetricAsync("oversized") >= 1);
    }

    [Fact]
    public async Task A_message_whose_header_section_is_longer_than_its_bound_is_kept_aside_unparsed()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", settings: ForgedFeedbackTests.BounceSettings());
        var header = new StringBuilder("From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\r\nX-Padding: x");
        while (header.Length <= BounceMailProcessor.MaxHeaderBytes) header.Append("\r\n ").Append(new string('y', 900));
        var raw = Encoding.ASCII.GetBytes(header + "\r\nSubject: Undelivered Mail Returned to Sender\r\n\r\nbody\r\n");

        var r = h.Service<BounceMailProcessor>().Process(raw);

        Assert.True(r.Outcome == BounceMailOutcome.Unreadable, r.ToString());
        Assert.Equal($"header section longer than {BounceMailProcessor.MaxHeaderBytes} bytes; not parsed", r.Summary);
    }
}

using System.Text;
using Herald.Core.Bounces;

namespace Herald.Core.Tests.Bounces;

public class AnalyzerApiTests
{
    private const string Dsn = """
        From: MAILER-DAEMON@mx.example.org
        To: bounces+abc123@bounce.example.com
        Subject: Undelivered Mail Returned to Sender
        MIME-Version: 1.0
        Content-Type: multipart/report; report-type=delivery-status; boundary="b"

        --b
        Content-Type: text/plain

        <nobody@example.net>: host mx.example.net said: 550 5.1.1 User unknown (in reply to RCPT TO command)

        --b
        Content-Type: message/delivery-status

        Reporting-MTA: dns; mx.example.org

        Final-Recipient: rfc822; nobody@example.net
        Action: failed
        Status: 5.1.1
        Remote-MTA: dns; mx.example.net
        Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.net>: User unknown

        --b
        Content-Type: text/rfc822-headers

        Message-ID: <orig-1@example.com>
        To: nobody@example.net

        --b--
        """;

    private static BounceReport Analyze(string text) => BounceAnalyzer.Analyze(new MemoryStream(Encoding.UTF8.GetBytes(text.Replace("\r\n", "\n"))));

    [Fact]
    public void Rfc3464_report_gives_recipient_status_reply_and_remote_mta()
    {
        var r = Analyze(Dsn).Recipients.Single();
        Assert.Equal(("nobody@example.net", "failed", "5.1.1", "550", "mx.example.net"), (r.Address, r.Action, r.Status, r.ReplyCode, r.RemoteMta));
    }

    [Fact]
    public void Verp_token_comes_from_the_bounces_plus_address() => Assert.Equal("abc123", Analyze(Dsn).VerpToken);

    [Fact]
    public void Original_message_id_comes_from_the_returned_headers() => Assert.Equal("orig-1@example.com", Analyze(Dsn).OriginalMessageId);

    [Fact]
    public void Unreadable_path_throws_an_io_error_naming_it()
    {
        var path = Path.Combine(Path.GetTempPath(), "herald-no-such-dir", "missing.eml");
        var ex = Assert.ThrowsAny<IOException>(() => BounceAnalyzer.AnalyzeFile(path));
        Assert.Contains("missing.eml", ex.Message);
    }

    [Fact]
    public void Empty_input_is_not_a_bounce() => Assert.Equal(MessageKind.NotBounce, BounceAnalyzer.Analyze(new MemoryStream()).Kind);
}

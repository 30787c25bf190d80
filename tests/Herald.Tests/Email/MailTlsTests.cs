using System.Globalization;
using System.Text.Json.Nodes;
using Herald.Hosting;
using Herald.Tests.Api;
using Herald.Tests.Servers;
using Microsoft.Extensions.Configuration;

namespace Herald.Tests.Email;

/// <summary>
/// Passwords for the relay and the bounce mailbox only ever travel over TLS (docs/email.md, "TLS and credentials"):
/// start-up refuses settings that could send them in clear, the relay must offer STARTTLS before Herald logs in, and a
/// private CA is trusted only through TrustedCertificate. Against the run's Postfix and Dovecot, which speak TLS with a
/// certificate from a CA made for the run (MailServers).
/// </summary>
public class MailTlsTests
{
    private const string Secret = "mail-tls-test-verp-secret-0123";

    private static HeraldOptions Load(Dictionary<string, string?> settings) =>
        HeraldApp.LoadOptions(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());

    private static Dictionary<string, string?> Relay(string host, int port, IDictionary<string, string?> extra)
    {
        var s = new Dictionary<string, string?>
        {
            ["Herald:Transport:Email"] = "smtp",
            ["Herald:Email:Smtp:Host"] = host,
            ["Herald:Email:Smtp:Port"] = port.ToString(CultureInfo.InvariantCulture),
            ["Herald:Email:Smtp:Timeout"] = "00:00:30",
            ["Herald:Email:Bounces:Domain"] = MailServers.Domain,
            ["Herald:Email:Bounces:TokenSecret"] = Secret,
        };
        foreach (var (k, v) in extra) s[k] = v;
        return s;
    }

    private static Dictionary<string, string?> Mailbox(string security) => new()
    {
        ["Herald:Email:Bounces:Domain"] = "bounce.example.org",
        ["Herald:Email:Bounces:TokenSecret"] = "sixteen-chars-or-more",
        ["Herald:Email:Bounces:Imap:Host"] = "imap.example.org",
        ["Herald:Email:Bounces:Imap:Security"] = security,
        ["Herald:Email:Bounces:Imap:Username"] = "bounces",
        ["Herald:Email:Bounces:Imap:Password"] = "secret",
    };

    private static void AssertLogged(JsonNode log, string status, params string[] fragments) =>
        Assert.True(log.Entries().Any(e => e.Str("status") == status && fragments.All(f => e.Str("detail")!.Contains(f))),
            $"no {status} entry with [{string.Join(", ", fragments)}] in the log: {log.ToJsonString()}");

    [Theory]
    [InlineData("none", "'none' sends the password in clear text; use starttls or tls")]
    [InlineData("starttls-when-available", "'starttls-when-available' sends the password in clear text when the server offers no STARTTLS; use starttls or tls")]
    public void Relay_credentials_over_a_connection_that_may_be_cleartext_stop_start_up_naming_the_setting(string security, string why)
    {
        var e = Assert.Throws<InvalidOperationException>(() => Load(Relay("relay.example.org", 587, new Dictionary<string, string?>
        {
            ["Herald:Email:Smtp:Security"] = security, ["Herald:Email:Smtp:Username"] = "herald", ["Herald:Email:Smtp:Password"] = "secret",
        })));
        Assert.Contains($"Herald:Email:Smtp:Security: {why}", e.Message);
    }

    [Theory]
    [InlineData("none", "'none' sends the password in clear text; use starttls or tls")]
    [InlineData("starttls-when-available", "'starttls-when-available' sends the password in clear text when the server offers no STARTTLS; use starttls or tls")]
    public void A_bounce_mailbox_over_a_connection_that_may_be_cleartext_stops_start_up_naming_the_setting(string security, string why)
    {
        var e = Assert.Throws<InvalidOperationException>(() => Load(Mailbox(security)));
        Assert.Contains($"Herald:Email:Bounces:Imap:Security: {why}", e.Message);
    }

    [Fact]
    public void With_relay_credentials_and_no_security_set_starttls_is_required()
    {
        var o = Load(Relay("relay.example.org", 587, new Dictionary<string, string?>
        {
            ["Herald:Email:Smtp:Username"] = "herald", ["Herald:Email:Smtp:Password"] = "secret",
        }));
        Assert.Equal("starttls", o.Email.Smtp.EffectiveSecurity);
    }

    [Fact]
    public void Without_relay_credentials_the_relay_is_used_with_starttls_when_it_offers_it()
    {
        var o = Load(Relay("relay.example.org", 25, new Dictionary<string, string?>()));
        Assert.Equal("starttls-when-available", o.Email.Smtp.EffectiveSecurity);
    }

    [Fact]
    public void A_trusted_certificate_file_that_is_missing_or_holds_no_certificate_stops_start_up_naming_the_setting()
    {
        var notPem = Path.GetTempFileName();
        File.WriteAllText(notPem, "not a certificate");
        try
        {
            var settings = Mailbox("tls");
            settings["Herald:Email:Bounces:Imap:TrustedCertificate"] = notPem;
            settings["Herald:Transport:Email"] = "smtp";
            settings["Herald:Email:Smtp:Host"] = "relay.example.org";
            settings["Herald:Email:Smtp:TrustedCertificate"] = notPem + ".missing";
            var e = Assert.Throws<InvalidOperationException>(() => Load(settings));
            Assert.Contains($"Herald:Email:Smtp:TrustedCertificate: {notPem}.missing does not exist", e.Message);
            Assert.Contains($"Herald:Email:Bounces:Imap:TrustedCertificate: cannot read a certificate from {notPem}", e.Message);
        }
        finally { File.Delete(notPem); }
    }

    [Fact]
    public async Task A_relay_that_offers_no_starttls_never_gets_the_password_and_the_delivery_waits_for_a_retry()
    {
        // smtp-sink offers AUTH and no STARTTLS: what a stripped EHLO answer looks like to Herald.
        await using var sink = await SmtpSink.StartAsync(dump: true, conversation: true);
        await using var h = await HeraldHost.StartAsync("sqlite", settings: Relay(sink.Host, sink.Port, new Dictionary<string, string?>
        {
            ["Herald:Email:Smtp:Username"] = "herald", ["Herald:Email:Smtp:Password"] = "secret",
        }));
        var contact = await h.Client.AddContactAsync($"parent-{Guid.NewGuid():N}"[..16] + "@example.org");

        var announcement = await h.Client.SendToAsync([contact]);

        await h.Client.WaitForStatusAsync(announcement, contact, "soft_bounce");
        AssertLogged(await h.Client.LogAsync(contact), "soft_bounce", "relay unreachable", "offers no STARTTLS");
        var commands = sink.Commands();
        Assert.Contains("EHLO", commands);
        Assert.DoesNotContain("AUTH", commands);
        Assert.DoesNotContain("MAIL", commands);
        Assert.Empty(sink.Received());
        // Not the address's fault: the next announcement to it is queued for the relay, not dropped.
        var next = await h.Client.SendToAsync([contact]);
        await h.Client.WaitForStatusAsync(next, contact, "soft_bounce");
    }

    [Fact]
    public async Task With_credentials_a_message_goes_to_the_real_postfix_over_starttls_after_login_and_arrives()
    {
        var mail = await MailServers.Shared;
        await using var h = await HeraldHost.StartAsync("sqlite", settings: Relay(mail.SmtpHost, mail.SmtpPort, new Dictionary<string, string?>
        {
            ["Herald:Email:Smtp:Username"] = "alice",
            ["Herald:Email:Smtp:Password"] = MailServers.Password,
            ["Herald:Email:Smtp:TrustedCertificate"] = mail.Certificates.CaFile,
        }));
        var address = $"carol+tls-{Guid.NewGuid().ToString("N")[..10]}@{MailServers.Domain}";
        var contact = await h.Client.AddContactAsync(address);

        var announcement = await h.Client.SendToAsync([contact]);

        await h.Client.WaitForStatusAsync(announcement, contact, "sent");
        var arrived = await mail.WaitForMessageAsync("carol", m => m.To.Mailboxes.Any(x => x.Address == address));
        // RFC 3848: ESMTPSA is "ESMTP with STARTTLS and AUTH", as Postfix records the hop in the Received header.
        Assert.Contains(arrived.Headers.Where(x => x.Field == "Received"), x => x.Value.Contains("with ESMTPSA"));
    }

    [Fact]
    public async Task A_relay_whose_certificate_the_trusted_CA_did_not_issue_is_not_logged_into()
    {
        var mail = await MailServers.Shared;
        await using var h = await HeraldHost.StartAsync("sqlite", settings: Relay(mail.SmtpHost, mail.SmtpPort, new Dictionary<string, string?>
        {
            ["Herald:Email:Smtp:Username"] = "alice",
            ["Herald:Email:Smtp:Password"] = MailServers.Password,
            ["Herald:Email:Smtp:TrustedCertificate"] = mail.Certificates.OtherCaFile,
        }));
        var contact = await h.Client.AddContactAsync($"carol+untrusted-{Guid.NewGuid().ToString("N")[..10]}@{MailServers.Domain}");

        var announcement = await h.Client.SendToAsync([contact]);

        await h.Client.WaitForStatusAsync(announcement, contact, "soft_bounce");
        AssertLogged(await h.Client.LogAsync(contact), "soft_bounce", "TLS handshake failed");
    }

    [Fact]
    public async Task The_bounce_mailbox_is_read_over_starttls_from_the_real_dovecot()
    {
        var mail = await MailServers.Shared;
        await using var s = await BounceMailboxSetup.StartAsync("sqlite", mail.ImapPort,
            new Dictionary<string, string?> { ["Herald:Email:Bounces:Imap:Security"] = "starttls" });
        var address = $"pat-{Guid.NewGuid():N}"[..16] + "@example.org";
        var d = await s.SendAsync(address);

        await s.AppendAsync(Reports.Dsn(s.ReturnPath(d), address, d.Message, "failed", "5.1.1", "550 5.1.1 <" + address + ">: User unknown"));

        await s.Client.WaitForStatusAsync(d.AnnouncementId, d.ContactId, "hard_bounce");
        await s.WaitForFolderAsync(BounceMailboxSetup.Processed, 1);
    }

    [Fact]
    public async Task A_bounce_mailbox_whose_certificate_the_trusted_CA_did_not_issue_is_not_logged_into()
    {
        var mail = await MailServers.Shared;
        await using var s = await BounceMailboxSetup.StartAsync("sqlite",
            settings: new Dictionary<string, string?> { ["Herald:Email:Bounces:Imap:TrustedCertificate"] = mail.Certificates.OtherCaFile });

        JsonNode health = null!;
        await ServerHelpers.WaitUntilAsync(async () =>
        {
            health = await s.Health();
            return health["bounceMailbox"]?["consecutiveFailures"]?.GetValue<int>() >= 1;
        }, HeraldHost.DispatchTimeout, () => $"the reader did not fail: {health.ToJsonString()}");
        Assert.Equal("retrying", health["bounceMailbox"].Str("state"));
        Assert.StartsWith("SslHandshakeException", health["bounceMailbox"].Str("lastError"));
    }
}

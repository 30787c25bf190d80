using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Herald.Email;
using Herald.Tests.Api;
using Herald.Tests.Servers;
using Microsoft.Extensions.Time.Testing;
using MimeKit;
using MimeKit.Cryptography;

namespace Herald.Tests.Email;

/// <summary>Email through a real Postfix relay delivering to Dovecot (and smtp-sink where a relay must come and go).</summary>
public class SmtpTransportTests
{
    private const string Secret = "smtp-test-verp-secret-0123456789";
    private const string UnsubscribeBase = "https://herald.example/";

    private static readonly VerpAddress Verp = new("bounces", MailServers.Domain, Secret);

    private static Dictionary<string, string?> Settings(string host, int port, IDictionary<string, string?>? extra = null)
    {
        var s = new Dictionary<string, string?>
        {
            ["Herald:Transport:Email"] = "smtp",
            ["Herald:Email:Smtp:Host"] = host,
            ["Herald:Email:Smtp:Port"] = port.ToString(),
            ["Herald:Email:Smtp:Security"] = "none",
            ["Herald:Email:Smtp:Timeout"] = "00:00:30",
            ["Herald:Email:Bounces:Domain"] = MailServers.Domain,
            ["Herald:Email:Bounces:TokenSecret"] = Secret,
            ["Herald:Email:UnsubscribeBaseUrl"] = UnsubscribeBase,
        };
        foreach (var (k, v) in extra ?? new Dictionary<string, string?>()) s[k] = v;
        return s;
    }

    private static async Task<HeraldHost> StartAsync(string provider, FakeTimeProvider? time = null, IDictionary<string, string?>? extra = null)
    {
        var mail = await MailServers.Shared;
        return await HeraldHost.StartAsync(provider, time, settings: Settings(mail.SmtpHost, mail.SmtpPort, extra));
    }

    /// <summary>An address of its own that lands in <paramref name="user"/>'s INBOX (<c>user+tag</c>, Postfix's recipient
    /// delimiter), so the test can give it its own SMTP answer. (A fresh Dovecot user could be refused for a moment:
    /// Dovecot notices a changed passwd-file by its modification time.)</summary>
    private static string FreshAddress(string user, string tag) => $"{user}+{tag}-{Guid.NewGuid().ToString("N")[..10]}@{MailServers.Domain}";

    private static async Task<long> AnnounceAsync(HttpClient c, long contact, string subject, string sender = "school")
    {
        var body = await c.PostJson("api/v1/announcements", new
        {
            subject, text = "Sports day is on Friday.", html = "<p>Sports day is on <b>Friday</b>.</p>", channels = new[] { "email" },
            category = "general", essential = false, sender, audience = new { contactIds = new[] { contact } },
        }).ExpectAsync(HttpStatusCode.Created);
        var id = body["id"]!.GetValue<long>();
        await c.SendAsync(id);
        return id;
    }

    /// <summary>Fails with the whole log when no entry has <paramref name="status"/> and a detail containing every fragment.</summary>
    private static void AssertLogged(JsonNode log, string status, params string[] fragments) =>
        Assert.True(log.Entries().Any(e => e.Str("status") == status && fragments.All(f => e.Str("detail")!.Contains(f))),
            $"no {status} entry with [{string.Join(", ", fragments)}] in the log: {log.ToJsonString()}");

    private static long DeliveryOf(JsonNode report, long contact) => report.LineOf(contact)["deliveryId"]!.GetValue<long>();

    private static Func<Task> Advance(FakeTimeProvider time, TimeSpan by) => () => { time.Advance(by); return Task.CompletedTask; };

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_good_address_gets_a_white_labelled_signed_message_with_verp_and_unsubscribe_headers(string provider)
    {
        using var rsa = RSA.Create(2048);
        var keyDir = Directory.CreateTempSubdirectory("herald-test-dkim-").FullName;
        var keyFile = Path.Combine(keyDir, "dkim.pem");
        await File.WriteAllTextAsync(keyFile, rsa.ExportRSAPrivateKeyPem());
        await using var h = await StartAsync(provider, extra: new Dictionary<string, string?>
        {
            ["Herald:Email:Dkim:Domain"] = "mail.herald.example",
            ["Herald:Email:Dkim:Selector"] = "s2026",
            ["Herald:Email:Dkim:PrivateKeyFile"] = keyFile,
        });
        var mail = await MailServers.Shared;
        const string user = "alice";
        var c = await h.Client.AddContactAsync(FreshAddress(user, "good"), name: "Alice Good");
        var schoolSubject = "From the school " + Guid.NewGuid().ToString("N")[..6];
        var defaultSubject = "From the operator " + Guid.NewGuid().ToString("N")[..6];
        var a1 = await AnnounceAsync(h.Client, c, schoolSubject);
        var a2 = await AnnounceAsync(h.Client, c, defaultSubject, sender: "default");
        var r1 = await h.Client.WaitForStatusAsync(a1, c, "sent");
        await h.Client.WaitForStatusAsync(a2, c, "sent");
        var log = await h.Client.LogAsync(c);
        AssertLogged(log, "sent", "250 ");

        var m1 = await mail.WaitForMessageAsync(user, m => m.Subject == schoolSubject);
        var m2 = await mail.WaitForMessageAsync(user, m => m.Subject == defaultSubject);

        // White label: the school's identity; the operator's no-reply address when the announcement asks for it.
        Assert.Equal($"office@{h.School.Slug}.example", m1.From.Mailboxes.Single().Address);
        Assert.Equal("The Office", m1.From.Mailboxes.Single().Name);
        Assert.Equal("no-reply@herald.invalid", m2.From.Mailboxes.Single().Address);
        // The body as written, then the footer with the unsubscribe link (docs/preferences.md).
        Assert.StartsWith("Sports day is on Friday.\n\n-- \n", m1.TextBody?.ReplaceLineEndings("\n"));
        Assert.Contains($"{UnsubscribeBase}unsubscribe/", m1.TextBody);
        Assert.Contains("<b>Friday</b>", m1.HtmlBody);

        // The envelope sender, as the receiving server recorded it, is the signed VERP address of this delivery.
        var returnPath = m1.Headers[HeaderId.ReturnPath]!.Trim().Trim('<', '>');
        Assert.Equal((DeliveryOf(r1, c), 1), Verp.Parse(returnPath));
        Assert.Null(Verp.Parse(returnPath.Replace("bounces+", "bounces+9")));

        // Opaque Message-IDs and no header naming the delivery: what recipients see gives nobody a delivery id to forge
        // feedback with.
        Assert.NotEqual(m1.MessageId, m2.MessageId);
        Assert.Matches("^herald\\.[a-z2-7]{26}@herald\\.invalid$", m1.MessageId);
        Assert.True(MessageIds.IsOurs(m1.MessageId, "herald.invalid"), m1.MessageId);
        Assert.DoesNotContain(m1.Headers, h => h.Field.Equals("X-Herald-Delivery", StringComparison.OrdinalIgnoreCase));

        var unsubscribe = m1.Headers["List-Unsubscribe"]!;
        Assert.Contains($"<{UnsubscribeBase}unsubscribe/", unsubscribe);
        // The unsubscribe address carries a signed, opaque token of its own (no delivery id in clear) in both forms.
        var mailto = System.Text.RegularExpressions.Regex.Match(unsubscribe, "<mailto:unsubscribe\\+([a-z2-7]{26}-[a-z2-7]{16})@");
        Assert.True(mailto.Success, unsubscribe);
        Assert.Contains($"<{UnsubscribeBase}unsubscribe/{mailto.Groups[1].Value}>", unsubscribe);
        Assert.DoesNotContain($"+{DeliveryOf(r1, c)}-", unsubscribe);
        Assert.DoesNotContain($"+{DeliveryOf(r1, c)}-", returnPath);
        Assert.Equal("List-Unsubscribe=One-Click", m1.Headers["List-Unsubscribe-Post"]);

        // DKIM: verifiable with the public key that the DNS TXT record would publish.
        var txt = "v=DKIM1; k=rsa; p=" + Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo());
        var verifier = new DkimVerifier(new OneKeyLocator("mail.herald.example", "s2026", txt));
        foreach (var m in new[] { m1, m2 })
        {
            var signature = m.Headers.Single(x => x.Id == HeaderId.DkimSignature);
            Assert.Contains("d=mail.herald.example", signature.Value);
            Assert.True(await verifier.VerifyAsync(m, signature), $"DKIM signature does not verify:\n{m}");
        }
        Directory.Delete(keyDir, true);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_greylisted_recipient_is_retried_and_delivered_once_the_server_accepts(string provider)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await StartAsync(provider, time);
        var mail = await MailServers.Shared;
        const string user = "bob";
        var address = FreshAddress(user, "grey");
        await mail.SetRecipientAnswerAsync(address, "450 4.7.1 Greylisted, try again later");
        var c = await h.Client.AddContactAsync(address);
        var subject = "Greylisted " + Guid.NewGuid().ToString("N")[..6];
        var a = await AnnounceAsync(h.Client, c, subject);
        var report = await h.Client.WaitForStatusAsync(a, c, "soft_bounce");
        var log = await h.Client.LogAsync(c);
        AssertLogged(log, "soft_bounce", "450 4.7.1", "Greylisted", "greylisting");
        Assert.Equal("soft_bounce", report.StatusOf(c));

        await mail.RemoveRecipientAnswerAsync(address);
        await h.Client.WaitForStatusAsync(a, c, "sent", Advance(time, TimeSpan.FromMinutes(1)));
        await mail.WaitForMessageAsync(user, m => m.Subject == subject);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_policy_refusal_is_rejected_with_the_reason_kept(string provider)
    {
        await using var h = await StartAsync(provider);
        var c = await h.Client.AddContactAsync(MailServers.PolicyAddress);
        var a = await AnnounceAsync(h.Client, c, "Policy");
        var report = await h.Client.WaitForStatusAsync(a, c, "rejected");
        // The bounce engine names the reason; support sees it and the exact reply.
        Assert.Equal("policyviolation", report.LineOf(c).Str("reason"));
        var log = await h.Client.LogAsync(c);
        AssertLogged(log, "rejected", "550 5.7.1", "Message rejected by policy");
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task An_unknown_user_at_rcpt_is_a_hard_bounce_and_the_next_announcement_is_dropped(string provider)
    {
        await using var h = await StartAsync(provider);
        var mail = await MailServers.Shared;
        var address = $"gone-{Guid.NewGuid().ToString("N")[..10]}@{MailServers.Domain}";
        await mail.SetRecipientAnswerAsync(address, "550 5.1.1 User unknown");
        var c = await h.Client.AddContactAsync(address);
        var a = await AnnounceAsync(h.Client, c, "Unknown at RCPT");
        await h.Client.WaitForStatusAsync(a, c, "hard_bounce");
        var log = await h.Client.LogAsync(c);
        AssertLogged(log, "hard_bounce", "550 5.1.1", "User unknown");

        var next = await AnnounceAsync(h.Client, c, "After the bounce");
        await h.Client.WaitForStatusAsync(next, c, "dropped");
    }

    [Fact]
    public async Task A_user_the_relay_accepts_but_cannot_deliver_is_sent_and_its_dsn_comes_back_to_the_verp_address()
    {
        await using var h = await StartAsync("sqlite");
        var mail = await MailServers.Shared;
        var c = await h.Client.AddContactAsync($"nobody-{Guid.NewGuid().ToString("N")[..10]}@{MailServers.Domain}");
        var a = await AnnounceAsync(h.Client, c, "Accepted then bounced");
        var report = await h.Client.WaitForStatusAsync(a, c, "sent");
        var verp = Verp.For(DeliveryOf(report, c), 1);
        var dsn = await mail.WaitForMessageAsync("bounces", m => m.To.Mailboxes.Any(x => x.Address.Equals(verp, StringComparison.OrdinalIgnoreCase)));
        Assert.Contains("5.1.1", dsn.ToString());
        Assert.Equal((DeliveryOf(report, c), 1), Verp.Parse(dsn.To.Mailboxes.Single().Address));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task While_the_relay_is_down_deliveries_wait_and_each_goes_exactly_once_when_it_returns(string provider)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var port = ServerHelpers.FreePort();
        await using var h = await HeraldHost.StartAsync(provider, time, settings: Settings("127.0.0.1", port));
        var contacts = new List<long>();
        for (var i = 0; i < 5; i++) contacts.Add(await h.Client.AddContactAsync($"down{i}-{Guid.NewGuid().ToString("N")[..6]}@relay.test"));
        var a = await h.Client.AddAnnouncementAsync([.. contacts]);
        await h.Client.SendAsync(a);
        await h.Client.WaitForReportAsync(a, r => r.Count("soft_bounce") == contacts.Count, "every delivery to soft-bounce while the relay is down");
        var log = await h.Client.LogAsync(contacts[0]);
        AssertLogged(log, "soft_bounce", "relay unreachable");

        // The addresses are not blamed: a second announcement to them is queued, not dropped.
        var second = await h.Client.AddAnnouncementAsync([contacts[0]]);
        await h.Client.SendAsync(second);
        await h.Client.WaitForStatusAsync(second, contacts[0], "soft_bounce");

        await using var sink = await SmtpSink.StartAsync(port, dump: true);
        await h.Client.WaitForReportAsync(a, r => r.Count("sent") == contacts.Count, "every delivery to go once the relay is back",
            Advance(time, TimeSpan.FromMinutes(5)));
        await h.Client.WaitForStatusAsync(second, contacts[0], "sent", Advance(time, TimeSpan.FromMinutes(5)));

        var received = sink.Received();
        Assert.Equal(contacts.Count + 1, received.Count);
        var firstAddress = (await h.Client.ReportAsync(a)).LineOf(contacts[0]).Str("address");
        Assert.Equal(2, received.Count(r => r == firstAddress));
        foreach (var contact in contacts)
            Assert.Single((await h.Client.LogAsync(contact)).Entries(), e => e.Str("status") == "sent" && e?["announcementId"]?.GetValue<long>() == a);
    }

    [Fact]
    public async Task Many_messages_to_several_domains_go_out_in_parallel_each_exactly_once()
    {
        await using var sink = await SmtpSink.StartAsync(dump: true);
        await using var h = await HeraldHost.StartAsync("sqlite", settings: Settings(sink.Host, sink.Port, new Dictionary<string, string?>
        {
            ["Herald:Email:Smtp:Connections"] = "4",
            ["Herald:Email:Smtp:PerDomainConnections"] = "2",
            ["Herald:Email:Smtp:PerDomainPerSecond"] = "50",
            ["Herald:Dispatch:BatchSize"] = "25",
        }));
        var contacts = new List<long>();
        for (var i = 0; i < 60; i++) contacts.Add(await h.Client.AddContactAsync($"p{i}@domain{i % 3}.test"));
        var a = await h.Client.AddAnnouncementAsync([.. contacts]);
        await h.Client.SendAsync(a);
        var report = await h.Client.WaitForReportAsync(a, r => r.Count("sent") == contacts.Count, "all 60 to be sent");
        var received = sink.Received();
        Assert.Equal(contacts.Count, received.Count);
        Assert.Equal(contacts.Count, received.Distinct().Count());
        Assert.Equal(report.Lines().Select(l => l.Str("address")).Order(), received.Order());
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_recipient_still_refusing_when_the_retry_window_closes_is_rejected_expired(string provider)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await StartAsync(provider, time, new Dictionary<string, string?> { ["Herald:Dispatch:RetryWindow"] = "00:30:00" });
        var c = await h.Client.AddContactAsync(MailServers.GreylistAddress);
        var a = await AnnounceAsync(h.Client, c, "Never accepted");
        // The first try is answered before the clock moves: moving it while that try still waits for a relay connection
        // (a loaded machine) would take the send past its start deadline and the window would close with no try at all.
        await h.Client.WaitForStatusAsync(a, c, "soft_bounce");
        var report = await h.Client.WaitForStatusAsync(a, c, "rejected", Advance(time, TimeSpan.FromMinutes(3)));
        Assert.Equal("expired", report.LineOf(c).Str("reason"));
        var log = await h.Client.LogAsync(c);
        AssertLogged(log, "soft_bounce", "450 4.7.1", "greylisting");
        AssertLogged(log, "rejected", "retry window over: expired");
    }

    [Fact]
    public async Task Missing_or_bad_smtp_settings_stop_start_up_naming_the_setting()
    {
        var missing = await Assert.ThrowsAsync<InvalidOperationException>(() => HeraldHost.StartAsync("sqlite", settings:
            new Dictionary<string, string?> { ["Herald:Transport:Email"] = "smtp", ["Herald:Email:Smtp:Security"] = "ssl" }));
        Assert.Contains("Herald:Email:Smtp:Host: required", missing.Message);
        Assert.Contains("Herald:Email:Smtp:Security: one of", missing.Message);
        Assert.Contains("Herald:Email:Bounces:Domain: required", missing.Message);

        var notAKey = Path.GetTempFileName();
        await File.WriteAllTextAsync(notAKey, "this is not a key");
        try
        {
            var badKey = await Assert.ThrowsAsync<InvalidOperationException>(() => HeraldHost.StartAsync("sqlite", settings: Settings("127.0.0.1", 25,
                new Dictionary<string, string?>
                {
                    ["Herald:Email:Dkim:Domain"] = "mail.herald.example", ["Herald:Email:Dkim:Selector"] = "s1",
                    ["Herald:Email:Dkim:PrivateKeyFile"] = notAKey,
                })));
            Assert.Contains("Herald:Email:Dkim:PrivateKeyFile: cannot read an RSA private key", badKey.Message);
        }
        finally { File.Delete(notAKey); }
    }

    /// <summary>Answers every DKIM key lookup for one domain and selector with one TXT record, as DNS would.</summary>
    private sealed class OneKeyLocator(string domain, string selector, string txt) : DkimPublicKeyLocatorBase
    {
        public override Org.BouncyCastle.Crypto.AsymmetricKeyParameter LocatePublicKey(string methods, string d, string s, CancellationToken ct = default) =>
            d == domain && s == selector ? GetPublicKey(txt) : throw new InvalidOperationException($"no key for {s}._domainkey.{d}");

        public override Task<Org.BouncyCastle.Crypto.AsymmetricKeyParameter> LocatePublicKeyAsync(string methods, string d, string s, CancellationToken ct = default) =>
            Task.FromResult(LocatePublicKey(methods, d, s, ct));
    }
}

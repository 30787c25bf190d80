using System.Globalization;
using System.Text;
using Herald.Bounces;
using Herald.Email;
using Herald.Tests.Api;
using Herald.Tests.Servers;
using MimeKit;

namespace Herald.Tests.Email;

/// <summary>
/// Feedback must prove itself. Without a valid VERP token a report is tied to a delivery only by the exact Message-ID
/// Herald stored when it sent the message, and only when the report names that delivery's own address. Herald sends
/// through the real Postfix (so the Message-ID is the one that really went out, read back from Dovecot); each report is
/// handed to the same processor the bounce mailbox and <c>herald bounces receive</c> use.
/// </summary>
public class ForgedFeedbackTests
{
    public const string IdDomain = "mail.herald.test";
    public const string Secret = "forged-feedback-test-secret";

    /// <summary>The bounce and Message-ID settings shared by Herald and the CLI in these tests.</summary>
    public static Dictionary<string, string?> BounceSettings(string localPart = "bounces") => new()
    {
        ["Herald:Sender:MessageIdDomain"] = IdDomain,
        ["Herald:Email:Bounces:Domain"] = MailServers.Domain,
        ["Herald:Email:Bounces:LocalPart"] = localPart,
        ["Herald:Email:Bounces:TokenSecret"] = Secret,
    };

    /// <summary>Settings that make Herald send through the shared Postfix.</summary>
    public static Dictionary<string, string?> SmtpSettings(MailServers mail, string localPart = "bounces")
    {
        var s = BounceSettings(localPart);
        s["Herald:Transport:Email"] = "smtp";
        s["Herald:Email:Smtp:Host"] = mail.SmtpHost;
        s["Herald:Email:Smtp:Port"] = mail.SmtpPort.ToString(CultureInfo.InvariantCulture);
        s["Herald:Email:Smtp:Security"] = "none";
        return s;
    }

    private sealed record Sent(long Announcement, long Contact, long Delivery, string Address, MimeMessage Message);

    private static async Task<HeraldHost> StartAsync(string provider) =>
        await HeraldHost.StartAsync(provider, settings: SmtpSettings(await MailServers.Shared));

    /// <summary>Sends an announcement to a new address that lands in dave's INBOX; returns it with the message as delivered.</summary>
    private static async Task<Sent> SendAsync(HeraldHost h)
    {
        var mail = await MailServers.Shared;
        var address = $"dave+forged-{Guid.NewGuid().ToString("N")[..10]}@{MailServers.Domain}";
        var contact = await h.Client.AddContactAsync(address);
        var announcement = await h.Client.SendToAsync([contact]);
        var report = await h.Client.WaitForStatusAsync(announcement, contact, "sent");
        var message = await mail.WaitForMessageAsync("dave", m => m.To.Mailboxes.Any(x => x.Address == address));
        return new(announcement, contact, report.LineOf(contact)["deliveryId"]!.GetValue<long>(), address, message);
    }

    private static BounceMailResult Process(HeraldHost h, string report) =>
        h.Service<BounceMailProcessor>().Process(Encoding.UTF8.GetBytes(report.ReplaceLineEndings("\r\n")));

    private static void AssertUnmatched(BounceMailResult r, string why)
    {
        Assert.True(r.Outcome == BounceMailOutcome.Unmatched, $"expected unmatched, got {r}");
        Assert.Null(r.DeliveryId);
        Assert.Contains(why, r.Summary);
    }

    /// <summary>The delivery is still sent with nothing from the bounce reader in its log, and the address still works:
    /// the next announcement to it is sent, not dropped.</summary>
    private static async Task AssertUntouchedAsync(HeraldHost h, Sent d)
    {
        Assert.Equal("sent", (await h.Client.ReportAsync(d.Announcement)).StatusOf(d.Contact));
        var log = await h.Client.LogAsync(d.Contact);
        Assert.DoesNotContain(log.Entries(), e => e.Str("source") == "bounce");
        var next = await h.Client.SendToAsync([d.Contact]);
        var report = await h.Client.WaitForReportAsync(next, r => r.StatusOf(d.Contact) is not "queued", "the next announcement's decision");
        Assert.Equal("sent", report.StatusOf(d.Contact));
    }

    /// <summary>A Message-ID in the format Herald used to write: delivery, attempt and 32 hex digits.</summary>
    private static string OldStyleId(long delivery, int attempt = 1) => $"herald.{delivery}.{attempt}.{Guid.NewGuid():N}@{IdDomain}";

    /// <summary>Each storage with each kind of report a forger would send: a failure (fails the address) and a spam
    /// complaint (suppresses it).</summary>
    public static TheoryData<string, string> ProvidersAndKinds => new()
    {
        { "sqlite", "dsn" }, { "sqlite", "arf" }, { "postgres", "dsn" }, { "postgres", "arf" },
    };

    [Theory, MemberData(nameof(ProvidersAndKinds))]
    public async Task A_forged_dsn_or_arf_complaint_without_a_token_that_guesses_message_ids_leaves_the_address_untouched(string provider, string kind)
    {
        await using var h = await StartAsync(provider);
        var d = await SendAsync(h);
        Func<string, string, string?, IEnumerable<string>?, string> forge = kind == "dsn" ? FeedbackMail.Dsn : FeedbackMail.Complaint;

        // The old format with the real delivery id and attempt: enough, before, to fail or suppress the address.
        AssertUnmatched(Process(h, forge(d.Address, OldStyleId(d.Delivery), null, null)), "no quoted Message-ID of Herald's");
        // Herald's shape with random characters: never sent, so it names nothing.
        AssertUnmatched(Process(h, forge(d.Address, MessageIds.New(IdDomain), null, null)), "Herald never sent it");
        // A guess in every place a reader might look, and a thread of sixty more guesses in References.
        var guesses = Enumerable.Range(-30, 60).Select(k => k % 2 == 0 ? OldStyleId(d.Delivery + k, 1 + Math.Abs(k) % 3) : MessageIds.New(IdDomain));
        AssertUnmatched(Process(h, forge(d.Address, OldStyleId(d.Delivery), MessageIds.New(IdDomain), guesses)), "Herald never sent it");

        await AssertUntouchedAsync(h, d);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_report_quoting_the_real_message_id_is_matched_only_when_it_names_the_delivery_s_own_address(string provider)
    {
        await using var h = await StartAsync(provider);
        var d = await SendAsync(h);
        var real = d.Message.MessageId ?? throw new Xunit.Sdk.XunitException("the delivered message has no Message-ID");
        Assert.True(MessageIds.IsOurs(real, IdDomain), $"the delivered message has Message-ID {real}");

        // Everybody who saw the message knows its Message-ID: quoted for another recipient, it proves nothing.
        AssertUnmatched(Process(h, FeedbackMail.Dsn("someone.else@example.org", real)), "was not sent to the report's recipient");
        // Only the last References entry is tried: the real id early in a long thread is not looked up.
        var thread = new[] { real }.Concat(Enumerable.Range(0, 20).Select(i => $"thread-{i}-{Guid.NewGuid():N}@elsewhere.example"));
        AssertUnmatched(Process(h, FeedbackMail.Dsn(d.Address, $"stranger-{Guid.NewGuid():N}@elsewhere.example", references: thread)),
            "no quoted Message-ID of Herald's");
        Assert.Equal("sent", (await h.Client.ReportAsync(d.Announcement)).StatusOf(d.Contact));

        // The stored Message-ID (stored without angle brackets, quoted with them) for the delivery's own address: its bounce.
        var r = Process(h, FeedbackMail.Dsn(d.Address, real));
        Assert.True(r.Outcome == BounceMailOutcome.Recorded, $"expected recorded, got {r}");
        Assert.Equal(d.Delivery, r.DeliveryId);
        var report = await h.Client.WaitForStatusAsync(d.Announcement, d.Contact, "hard_bounce");
        Assert.Equal("userunknown", report.LineOf(d.Contact).Str("reason"));
        var entry = Assert.Single((await h.Client.LogAsync(d.Contact)).Entries(), e => e.Str("source") == "bounce");
        Assert.Contains("by original Message-ID and recipient", entry.Str("detail"));
        Assert.Equal(1, entry!["attempt"]!.GetValue<int>());
        var next = await h.Client.SendToAsync([d.Contact]);
        Assert.Equal("dropped", (await h.Client.WaitForReportAsync(next, x => x.StatusOf(d.Contact) is not "queued", "a decision")).StatusOf(d.Contact));
    }

    /// <summary>Whatever the number of References ids, one is looked up: the last (the message replied to). A thread of ten
    /// thousand neither costs ten thousand lookups nor gives a forger ten thousand guesses.</summary>
    [Fact]
    public async Task A_report_with_ten_thousand_references_is_matched_by_the_last_id_and_not_by_an_earlier_one()
    {
        await using var h = await StartAsync("sqlite");
        var d = await SendAsync(h);
        var real = d.Message.MessageId ?? throw new Xunit.Sdk.XunitException("the delivered message has no Message-ID");
        var thread = Enumerable.Range(0, 9_999).Select(i => $"thread-{i}-{Guid.NewGuid():N}@elsewhere.example").ToList();
        string Stranger() => $"stranger-{Guid.NewGuid():N}@elsewhere.example";

        var first = Process(h, FeedbackMail.Dsn(d.Address, Stranger(), references: [real, .. thread]));
        AssertUnmatched(first, "no quoted Message-ID of Herald's");
        Assert.Equal("sent", (await h.Client.ReportAsync(d.Announcement)).StatusOf(d.Contact));

        var last = Process(h, FeedbackMail.Dsn(d.Address, Stranger(), references: [.. thread, real]));
        Assert.True(last.Outcome == BounceMailOutcome.Recorded, $"expected recorded, got {last}");
        Assert.Equal(d.Delivery, last.DeliveryId);
        await h.Client.WaitForStatusAsync(d.Announcement, d.Contact, "hard_bounce");
    }
}

/// <summary>Reports sent to the plain bounce address (no VERP token) about a message to <paramref name="recipient"/>
/// whose quoted headers carry a Message-ID of the caller's choice; In-Reply-To and References are where a forger puts
/// more guesses.</summary>
public static class FeedbackMail
{
    /// <summary>A failure report (RFC 3464): <paramref name="recipient"/> does not exist.</summary>
    public static string Dsn(string recipient, string quotedMessageId, string? inReplyTo = null, IEnumerable<string>? references = null) =>
        Reports.Dsn(MailServers.Address("bounces"), recipient, Original(recipient, quotedMessageId), "failed", "5.1.1",
            $"550 5.1.1 <{recipient}>: Recipient address rejected: User unknown", threading: Threading(inReplyTo, references));

    /// <summary>A spam complaint (RFC 5965) from a feedback loop.</summary>
    public static string Complaint(string recipient, string quotedMessageId, string? inReplyTo = null, IEnumerable<string>? references = null) =>
        Reports.ArfComplaint(MailServers.Address("bounces"), recipient, Original(recipient, quotedMessageId), Threading(inReplyTo, references));

    /// <summary>The message the report is about, as its quoted headers show it (the Message-ID in angle brackets).</summary>
    private static MimeMessage Original(string recipient, string messageId)
    {
        var m = new MimeMessage { Subject = "Sports day", MessageId = messageId };
        m.From.Add(new MailboxAddress("Hillside School", "office@hillside.example"));
        m.To.Add(MailboxAddress.Parse(recipient));
        return m;
    }

    private static string Threading(string? inReplyTo, IEnumerable<string>? references)
    {
        var s = new StringBuilder();
        if (inReplyTo is not null) s.Append($"In-Reply-To: <{inReplyTo}>\n");
        if (references?.ToList() is { Count: > 0 } refs) s.Append("References: ").AppendJoin("\n ", refs.Select(r => $"<{r}>")).Append('\n');
        return s.ToString();
    }
}

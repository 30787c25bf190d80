using Herald.Hosting;
using Microsoft.Extensions.Configuration;

namespace Herald.Tests.Email;

/// <summary>The bounce mailbox settings are checked at start-up whenever a mailbox is configured, whatever the transport.</summary>
public class BounceOptionsTests
{
    private static HeraldOptions Load(Dictionary<string, string?> settings) =>
        HeraldApp.LoadOptions(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());

    [Fact]
    public void A_bounce_mailbox_with_the_sandbox_transport_still_needs_its_domain_secret_and_login()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Load(new()
        {
            ["Herald:Email:Bounces:Imap:Host"] = "imap.example.org",
            ["Herald:Email:Bounces:Imap:PollInterval"] = "00:00:00.010",
            ["Herald:Email:Bounces:Imap:UnmatchedFolder"] = "INBOX",
            ["Herald:Email:Bounces:Imap:DisableExtensions:0"] = "CONDSTORE",
        }));
        foreach (var name in new[] { "Bounces:Domain", "Bounces:TokenSecret", "Imap:Username and Password", "Imap:PollInterval",
                     "four different folders", "'CONDSTORE'" })
            Assert.Contains(name, e.Message);
        Assert.DoesNotContain("Smtp", e.Message);
    }

    [Fact]
    public void Without_a_bounce_mailbox_the_sandbox_needs_no_email_settings() =>
        Assert.Equal(Herald.Email.EmailTransportMode.Sandbox, Load(new()).Transport.Email);

    [Fact]
    public void A_complete_bounce_mailbox_is_accepted()
    {
        var o = Load(new()
        {
            ["Herald:Email:Bounces:Domain"] = "bounce.example.org",
            ["Herald:Email:Bounces:TokenSecret"] = "sixteen-chars-or-more",
            ["Herald:Email:Bounces:Imap:Host"] = "imap.example.org",
            ["Herald:Email:Bounces:Imap:Username"] = "bounces",
            ["Herald:Email:Bounces:Imap:Password"] = "secret",
        });
        Assert.Equal("Herald/Unmatched", o.Email.Bounces.Imap.UnmatchedFolder);
        Assert.Equal(993, o.Email.Bounces.Imap.Port);
    }
}

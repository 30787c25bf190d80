using Herald.Email;
using Herald.Hosting;
using Herald.Sms;
using Microsoft.Extensions.Configuration;

namespace Herald.Tests.Hosting;

/// <summary>Transport modes are read once, case-insensitively, and a wrong one stops start-up naming the setting.</summary>
public class TransportModeTests
{
    private static HeraldOptions Load(Dictionary<string, string?> settings) =>
        HeraldApp.LoadOptions(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());

    [Theory]
    [InlineData("Email", "mailgun", "Herald:Transport:Email: 'mailgun' is not one of sandbox, smtp")]
    [InlineData("Sms", "nexmo", "Herald:Transport:Sms: 'nexmo' is not one of sandbox, kannel, twilio")]
    public void An_unknown_transport_is_refused_naming_the_setting_and_its_choices(string key, string value, string message)
    {
        var e = Assert.Throws<InvalidOperationException>(() => Load(new() { [$"Herald:Transport:{key}"] = value }));
        Assert.Contains(message, e.Message);
        Assert.DoesNotContain("Herald.Email", e.Message);
    }

    [Fact]
    public void Modes_are_read_without_regard_to_case_and_the_sms_settings_learn_theirs()
    {
        var o = Load(new()
        {
            ["Herald:Transport:Sms"] = "Twilio",
            ["Herald:Sms:Twilio:AccountSid"] = "AC" + new string('0', 32),
            ["Herald:Sms:Twilio:AuthToken"] = "twilio-token-0123456789",
            ["Herald:Sms:Twilio:StatusCallbackUrl"] = "https://herald.example/",
            ["Herald:Sms:Twilio:From"] = "+447400123456",
            ["Herald:Sms:Twilio:MaxParts"] = "3",
        });
        Assert.Equal((EmailTransportMode.Sandbox, SmsTransportMode.Twilio), (o.Transport.Email, o.Transport.Sms));
        Assert.Equal(3, o.Sms.MaxParts);
    }
}

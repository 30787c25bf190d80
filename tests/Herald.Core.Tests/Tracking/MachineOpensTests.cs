using Herald.Core.Tracking;

namespace Herald.Core.Tests.Tracking;

/// <summary>The machine-open table, row by row.</summary>
public class MachineOpensTests
{
    private const string Browser = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15";
    private const string GmailProxy = "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)";
    private static readonly TimeSpan Later = TimeSpan.FromHours(2);

    [Fact]
    public void A_browser_an_hour_after_the_send_is_a_person() =>
        Assert.Null(MachineOpens.Match(TrackingKind.Open, Browser, Later));

    [Fact]
    public void The_bare_mozilla_user_agent_of_apple_mail_privacy_protection_is_automated() =>
        Assert.Equal("apple-mail-privacy-protection", MachineOpens.Match(TrackingKind.Open, "Mozilla/5.0", Later)?.Name);

    [Fact]
    public void Gmails_proxy_within_a_minute_of_the_send_is_its_prefetch() =>
        Assert.Equal("gmail-image-proxy-prefetch", MachineOpens.Match(TrackingKind.Open, GmailProxy, TimeSpan.FromSeconds(30))?.Name);

    [Fact]
    public void Gmails_proxy_later_is_the_reader_opening_the_message() =>
        Assert.Null(MachineOpens.Match(TrackingKind.Open, GmailProxy, Later));

    [Theory]
    [InlineData("curl/8.5.0")]
    [InlineData("python-requests/2.31.0")]
    [InlineData("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36")]
    [InlineData("Barracuda Sentinel (EE)")]
    [InlineData("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")]
    public void A_scanner_or_library_user_agent_is_automated_for_opens_and_clicks(string ua)
    {
        Assert.Equal("scanner-or-library-user-agent", MachineOpens.Match(TrackingKind.Open, ua, Later)?.Name);
        Assert.Equal("scanner-or-library-user-agent", MachineOpens.Match(TrackingKind.Click, ua, Later)?.Name);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void A_request_without_a_user_agent_is_automated(string? ua) =>
        Assert.Equal("no-user-agent", MachineOpens.Match(TrackingKind.Click, ua, Later)?.Name);

    [Fact]
    public void Any_fetch_within_seconds_of_the_send_is_a_scanner_even_posing_as_a_browser() =>
        Assert.Equal("within-seconds-of-send", MachineOpens.Match(TrackingKind.Click, Browser, TimeSpan.FromSeconds(3))?.Name);

    [Fact]
    public void A_browser_just_past_the_scanner_window_is_a_person() =>
        Assert.Null(MachineOpens.Match(TrackingKind.Open, Browser, MachineOpens.ScannerWindow + TimeSpan.FromSeconds(1)));

    [Fact]
    public void The_bare_mozilla_rule_is_for_opens_only_a_click_with_it_later_is_a_person() =>
        Assert.Null(MachineOpens.Match(TrackingKind.Click, "Mozilla/5.0", Later));

    [Fact]
    public void Every_row_names_its_source_and_a_unique_name()
    {
        Assert.All(MachineOpens.Rules, r => Assert.False(string.IsNullOrWhiteSpace(r.Source), r.Name));
        Assert.Equal(MachineOpens.Rules.Count, MachineOpens.Rules.Select(r => r.Name).Distinct().Count());
        Assert.DoesNotContain(MachineOpens.Rules, r => r.Source.Contains("http", StringComparison.OrdinalIgnoreCase));
    }
}

using Deque.AxeCore.Playwright;
using Herald.Staff;
using Herald.Tests.Api;
using Herald.Tests.Reports;
using Herald.Tests.Servers;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Playwright;

namespace Herald.Tests.Addresses;

/// <summary>The support console in a real Chromium: a reset typed and submitted without JavaScript, and axe-core finds
/// nothing to fix on the console, the queue monitor and the 403 page.</summary>
public class SupportConsoleBrowserTests
{
    internal static async Task<IPage> SignedInAsync(HeraldHost h, IBrowserContext context, StaffRole role)
    {
        var email = $"u-{Guid.NewGuid():N}"[..12] + "@school.example";
        h.Service<StaffUsers>().Add(email, "Sam Support", role, role == StaffRole.Support ? null : h.School.Id, StaffVisitor.Password);
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(h.BaseAddress, "/sign-in").ToString());
        await page.GetByLabel("Email address").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(StaffVisitor.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.GetByText("Signed in as").WaitForAsync();
        return page;
    }

    [Fact]
    public async Task Support_search_an_address_from_home_and_reset_it_in_one_school_with_a_reason()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        var (other, _, here, _) = await SupportConsoleTests.BouncedInTwoSchoolsAsync(h, "ann@school.example");
        await using var context = await Browser.NewContextAsync();
        var page = await SignedInAsync(h, context, StaffRole.Support);

        await page.GetByRole(AriaRole.Link, new() { Name = "Support console: find and reset an address" }).ClickAsync();
        await page.GetByLabel("Email address or mobile number").FillAsync("ann@school.example");
        await page.Keyboard.PressAsync("Enter");
        await page.GetByRole(AriaRole.Heading, new() { Name = "ann@school.example in every school" }).WaitForAsync();
        Assert.Contains("failed", await page.Locator($"#state-{other.Id}").InnerTextAsync());

        await page.Locator($"#why-{h.School.Id}").FillAsync("mailbox fixed, checked by phone");
        await page.GetByRole(AriaRole.Button, new() { Name = "Reset in " + h.School.Name }).ClickAsync();
        await page.Locator("#done").WaitForAsync();
        Assert.Contains("usable", await page.Locator($"#state-{h.School.Id}").InnerTextAsync());
        Assert.Contains("failed", await page.Locator($"#state-{other.Id}").InnerTextAsync());
        var support = Assert.Single((await h.Client.LogAsync(here)).Entries(), e => e!.Str("source") == "support");
        Assert.Contains("by Sam Support", support!.Str("detail"));
        Assert.Contains("mailbox fixed, checked by phone", support!.Str("detail"));
    }

    [Fact]
    public async Task The_console_the_queue_monitor_and_the_403_page_have_no_accessibility_violations()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", new FakeTimeProvider(DateTimeOffset.UtcNow), dispatcher: false);
        await SupportConsoleTests.BouncedInTwoSchoolsAsync(h, "ann@school.example");
        await h.Client.SendToAsync([await h.Client.AddContactAsync("queued@school.example")]);
        h.Time!.Advance(TimeSpan.FromMinutes(31));
        await using var context = await Browser.NewContextAsync(javaScript: true);
        var page = await SignedInAsync(h, context, StaffRole.Support);
        foreach (var path in new[] { "/", "/support", "/support?q=ann%40school.example", "/support/queue", $"/support/queue?school={h.School.Id}" })
            await NoViolationsAsync(page, h, path);

        // The refused reset, with its message next to the field.
        await page.GotoAsync(new Uri(h.BaseAddress, "/support?q=ann%40school.example").ToString());
        await page.Locator($"#why-{h.School.Id}").EvaluateAsync("e => e.removeAttribute('required')");
        await page.GetByRole(AriaRole.Button, new() { Name = "Reset in " + h.School.Name }).ClickAsync();
        await page.GetByRole(AriaRole.Alert).WaitForAsync();
        await NoViolationsAsync(page, h, null);

        await using var staffContext = await Browser.NewContextAsync(javaScript: true);
        var staff = await SignedInAsync(h, staffContext, StaffRole.Staff);
        await NoViolationsAsync(staff, h, "/support");
    }

    internal static async Task NoViolationsAsync(IPage page, HeraldHost h, string? path)
    {
        if (path is not null) await page.GotoAsync(new Uri(h.BaseAddress, path).ToString());
        var result = await page.RunAxe();
        Assert.True(result.Violations.Length == 0, (path ?? page.Url) + "\n" + string.Join("\n", result.Violations.Select(v =>
            $"{v.Id}: {v.Help} ({string.Join(", ", v.Nodes.Select(n => n.Html))})")));
    }
}

using Deque.AxeCore.Playwright;
using Herald.Staff;
using Herald.Tests.Api;
using Herald.Tests.Servers;
using Microsoft.Playwright;

namespace Herald.Tests.Reports;

/// <summary>The announcements list and the report in a real Chromium: filtering by keyboard alone without JavaScript,
/// and axe-core finds nothing to fix.</summary>
public class ReportPagesBrowserTests
{
    internal static async Task<IPage> SignedInAsync(HeraldHost h, IBrowserContext context)
    {
        var email = $"u-{Guid.NewGuid():N}"[..12] + "@school.example";
        h.Service<StaffUsers>().Add(email, "Ann Office", StaffRole.Staff, h.School.Id, StaffVisitor.Password);
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(h.BaseAddress, "/sign-in").ToString());
        await page.GetByLabel("Email address").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(StaffVisitor.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.GetByText("Signed in as").WaitForAsync();
        return page;
    }

    [Fact]
    public async Task A_secretary_opens_the_report_from_home_and_filters_it_with_the_keyboard_without_javascript()
    {
        await using var h = await HeraldHost.StartAsync("sqlite");
        var (id, _, _, _, _) = await ReportPagesTests.SendAsync(h);
        await using var context = await Browser.NewContextAsync();
        var page = await SignedInAsync(h, context);

        await page.GetByRole(AriaRole.Link, new() { Name = "Announcements and their reports" }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await page.GetByRole(AriaRole.Heading, new() { Name = "Announcements — " + h.School.Name }).WaitForAsync();
        Assert.Contains("2 delivered, 1 hard bounces, 1 without email", await page.Locator("td.outcome").First.InnerTextAsync());

        await page.GetByRole(AriaRole.Link, new() { Name = "Sports day" }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await page.GetByRole(AriaRole.Heading, new() { Name = "Recipients" }).WaitForAsync();
        Assert.Equal(4, await page.Locator("#recipients-table tbody tr").CountAsync());

        // Status (a letter typed chooses an option in a closed select), Tab to channel, Tab to the search, Enter submits.
        // One letter only: a select's type-ahead forgets what was typed after a second's pause, which a loaded machine
        // can put between two keys ("h" then a lone "a" picks "All statuses").
        await page.GetByLabel("Status").FocusAsync();
        await page.Keyboard.PressAsync("h");
        Assert.Equal("hard_bounce", await page.GetByLabel("Status").InputValueAsync());
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.TypeAsync("bob");
        await page.Keyboard.PressAsync("Enter");
        // The filtered page has one row: wait for the others to go, then read the address it landed on.
        var rows = page.Locator("#recipients-table tbody tr");
        await rows.Nth(1).WaitForAsync(new() { State = WaitForSelectorState.Detached });
        Assert.Contains("status=hard_bounce", page.Url);
        Assert.Contains("q=bob", page.Url);
        Assert.Equal(1, await rows.CountAsync());
        Assert.Contains("Bob Bounce", await rows.First.InnerTextAsync());
        // The form keeps what was chosen.
        Assert.Equal("hard_bounce", await page.GetByLabel("Status").InputValueAsync());
        Assert.Equal("bob", await page.GetByLabel("Name or address").InputValueAsync());
        Assert.EndsWith($"/announcements/{id}/report.csv?status=hard_bounce&q=bob",
            await page.GetByRole(AriaRole.Link, new() { Name = "Download these recipients as CSV" }).GetAttributeAsync("href"));
    }

    [Fact]
    public async Task The_list_and_the_report_have_no_accessibility_violations()
    {
        await using var h = await HeraldHost.StartAsync("sqlite");
        var (id, _, _, _, _) = await ReportPagesTests.SendAsync(h);
        // axe-core runs as a script in the page; the pages themselves need none.
        await using var context = await Browser.NewContextAsync(javaScript: true);
        var page = await SignedInAsync(h, context);
        foreach (var path in new[] { "/announcements", $"/announcements/{id}", $"/announcements/{id}?status=hard_bounce", "/announcements/999999999" })
        {
            await page.GotoAsync(new Uri(h.BaseAddress, path).ToString());
            var result = await page.RunAxe();
            Assert.True(result.Violations.Length == 0, path + "\n" + string.Join("\n", result.Violations.Select(v =>
                $"{v.Id}: {v.Help} ({string.Join(", ", v.Nodes.Select(n => n.Html))})")));
        }
    }
}

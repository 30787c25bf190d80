using Deque.AxeCore.Playwright;
using Herald.Staff;
using Herald.Tests.Api;
using Herald.Tests.Reports;
using Herald.Tests.Servers;
using Microsoft.Playwright;

namespace Herald.Tests.Contacts;

/// <summary>The contacts list and a contact's page in a real Chromium: found from home by keyboard without JavaScript,
/// the red cross and the provider's hostile text shown as text (no script element), and axe-core finds nothing to fix.</summary>
public class ContactPagesBrowserTests
{
    private static async Task<IPage> SignedInAsync(HeraldHost h, IBrowserContext context)
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
    public async Task A_secretary_finds_a_contact_and_sees_the_red_cross_and_the_bounce_as_text_without_javascript()
    {
        await using var h = await HeraldHost.StartAsync("sqlite");
        await ContactPagesTests.BouncedAsync(h);
        await using var context = await Browser.NewContextAsync();
        var page = await SignedInAsync(h, context);

        await page.GetByRole(AriaRole.Link, new() { Name = "Contacts and their full log" }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await page.GetByRole(AriaRole.Heading, new() { Name = "Contacts — " + h.School.Name }).WaitForAsync();
        await page.GetByLabel("Name, email or number").FocusAsync();
        await page.Keyboard.TypeAsync("alice");
        await page.Keyboard.PressAsync("Enter");
        // The search's answer (waiting on its caption: the URL may change before a waiter on it is registered).
        await page.GetByText("1 contacts (page 1 of 1)").WaitForAsync();
        Assert.EndsWith("/contacts?q=alice", page.Url);
        Assert.Equal(1, await page.Locator("#contacts-table tbody tr").CountAsync());
        await page.GetByRole(AriaRole.Link, new() { Name = "Alice Green" }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await page.GetByRole(AriaRole.Heading, new() { Name = "Full log" }).WaitForAsync();

        var cross = page.Locator(".red-cross");
        Assert.True(await cross.IsVisibleAsync());
        Assert.Matches(@"✗ Failed in this school: why: .+; since \d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d:\d\d \(Europe/London\)", await cross.InnerTextAsync());
        // The provider's text is visible as text and made no element.
        Assert.Equal(0, await page.Locator("script").CountAsync());
        var hostile = page.Locator("#log-table samp", new() { HasText = "<script>alert(1)</script>" });
        Assert.True(await hostile.First.IsVisibleAsync());
        Assert.Contains(ContactPagesTests.Hostile, await hostile.First.InnerTextAsync());
        // Newest first: the first row is the posted bounce.
        Assert.Contains("hard bounce", await page.Locator("#log-table tbody tr").First.InnerTextAsync());
    }

    [Fact]
    public async Task The_contacts_list_and_the_contact_page_have_no_accessibility_violations()
    {
        await using var h = await HeraldHost.StartAsync("sqlite");
        var (_, alice, _, _) = await ContactPagesTests.BouncedAsync(h);
        await using var context = await Browser.NewContextAsync(javaScript: true);
        var page = await SignedInAsync(h, context);
        foreach (var path in new[] { "/contacts", "/contacts?q=alice", $"/contacts/{alice}", "/contacts/999999999" })
        {
            await page.GotoAsync(new Uri(h.BaseAddress, path).ToString());
            var result = await page.RunAxe();
            Assert.True(result.Violations.Length == 0, path + "\n" + string.Join("\n", result.Violations.Select(v =>
                $"{v.Id}: {v.Help} ({string.Join(", ", v.Nodes.Select(n => n.Html))})")));
        }
    }
}

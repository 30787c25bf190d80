using Deque.AxeCore.Playwright;
using Herald.Staff;
using Herald.Tests.Api;
using Herald.Tests.Servers;
using Microsoft.Playwright;

namespace Herald.Tests.Staff;

/// <summary>The sign-in page in a real Chromium: usable with the keyboard and without JavaScript, and accessible
/// (axe-core finds nothing to fix).</summary>
public class SignInPageTests
{
    private const string Password = "correct horse battery staple";

    [Fact]
    public async Task A_secretary_signs_in_and_out_with_the_keyboard_without_javascript()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        h.Service<StaffUsers>().Add("ann@hill.example", "Ann Office", StaffRole.Staff, h.School.Id, Password);
        await using var context = await Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(h.BaseAddress, "/").ToString());
        Assert.EndsWith("/sign-in?ReturnUrl=%2F", page.Url);
        await page.GetByLabel("Email address").FocusAsync();
        await page.Keyboard.TypeAsync("ann@hill.example");
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.TypeAsync(Password);
        await page.Keyboard.PressAsync("Enter");
        await page.GetByText("Signed in as").WaitForAsync();
        Assert.Contains("Ann Office", await page.Locator("main").InnerTextAsync());
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "Sign in to Herald" }).WaitForAsync();
    }

    [Fact]
    public async Task The_sign_in_page_and_its_error_have_no_accessibility_violations()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        // axe-core runs as a script in the page; the page itself needs none.
        await using var context = await Browser.NewContextAsync(javaScript: true);
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(h.BaseAddress, "/sign-in").ToString());
        var form = await page.RunAxe();
        Assert.True(form.Violations.Length == 0, string.Join("\n", form.Violations.Select(v => $"{v.Id}: {v.Help}")));
        await page.GetByLabel("Email address").FillAsync("nobody@hill.example");
        await page.GetByLabel("Password").FillAsync("wrong password here");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.GetByRole(AriaRole.Alert).WaitForAsync();
        var error = await page.RunAxe();
        Assert.True(error.Violations.Length == 0, string.Join("\n", error.Violations.Select(v => $"{v.Id}: {v.Help}")));
    }
}

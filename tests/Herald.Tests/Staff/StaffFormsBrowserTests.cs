using System.Text.RegularExpressions;
using Herald.Schools;
using Herald.Staff;
using Herald.Tests.Addresses;
using Herald.Tests.Api;
using Herald.Tests.Servers;
using Microsoft.Playwright;

namespace Herald.Tests.Staff;

/// <summary>The forms that change things, in a real Chromium without JavaScript (fix an address, switch the language,
/// revoke a key after confirming, choose a password with a one-time link), and axe-core finds nothing to fix on them,
/// refusals included.</summary>
public class StaffFormsBrowserTests
{
    private static string Url(HeraldHost h, string path) => new Uri(h.BaseAddress, path).ToString();

    [Fact]
    public async Task Staff_fix_an_address_by_keyboard_a_refusal_keeps_what_was_typed_and_the_log_says_who_and_why()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        var c = await h.Client.AddContactAsync("ann@old.example", name: "Ann Parent");
        await using var context = await Browser.NewContextAsync();
        var page = await SupportConsoleBrowserTests.SignedInAsync(h, context, StaffRole.Staff);
        await page.GotoAsync(Url(h, $"/contacts/{c}"));

        await page.GetByLabel("New email address").FillAsync("ann at new");
        await page.Locator("#why-email").FocusAsync();
        await page.Keyboard.TypeAsync("parent phoned");
        await page.Keyboard.PressAsync("Enter");
        await page.Locator("#value-email-error").WaitForAsync();
        Assert.Contains("This is not a usable email address", await page.Locator("#value-email-error").InnerTextAsync());
        Assert.Equal("ann at new", await page.Locator("#value-email").InputValueAsync());
        Assert.Equal("parent phoned", await page.Locator("#why-email").InputValueAsync());

        await page.Locator("#value-email").FillAsync("ann@new.example");
        await page.Locator("#why-email").PressAsync("Enter");
        await page.Locator("#fixed").WaitForAsync();
        Assert.Equal("ann@new.example", await page.Locator("#value-email").InputValueAsync());
        var log = await page.Locator("#log-table").InnerTextAsync();
        Assert.Matches(@"email changed from ann@old\.example to ann@new\.example by Sam Support \(u-\w+@school\.example\): parent phoned", log);
    }

    [Fact]
    public async Task The_language_switch_works_by_keyboard_without_javascript_and_stays_on_the_page()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        var c = await h.Client.AddContactAsync("ann@old.example", name: "Ann Parent");
        await using var context = await Browser.NewContextAsync();
        var page = await SupportConsoleBrowserTests.SignedInAsync(h, context, StaffRole.Staff);
        await page.GotoAsync(Url(h, $"/contacts/{c}?page=1"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Español" }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await page.GetByRole(AriaRole.Heading, new() { Name = "Corregir una dirección" }).WaitForAsync();
        Assert.EndsWith($"/contacts/{c}?page=1", page.Url);
        Assert.Equal("es", await page.Locator("html").GetAttributeAsync("lang"));
        Assert.Equal("true", await page.GetByRole(AriaRole.Button, new() { Name = "Español" }).GetAttributeAsync("aria-pressed"));
        await page.GotoAsync(Url(h, "/"));
        Assert.Contains("Sesión iniciada como", await page.Locator("main").InnerTextAsync());
    }

    [Fact]
    public async Task Support_revoke_a_key_only_after_confirming_it()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        var key = h.Service<SchoolStore>().CreateKey(h.School.Id, "old integration", isOperator: false, readOnly: false, expiresAt: null);
        await using var context = await Browser.NewContextAsync();
        var page = await SupportConsoleBrowserTests.SignedInAsync(h, context, StaffRole.Support);
        await page.GetByRole(AriaRole.Link, new() { Name = "Schools and their API keys" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = $"Revoke key old integration ({key.Prefix})…" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "Revoke key old integration?" }).WaitForAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "No, keep it" }).ClickAsync();
        Assert.Contains("✓ active", await page.Locator($"#key-{key.Id}").InnerTextAsync());

        await page.GetByRole(AriaRole.Button, new() { Name = $"Revoke key old integration ({key.Prefix})…" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Yes, revoke key old integration" }).ClickAsync();
        await page.Locator("#done").WaitForAsync();
        Assert.Matches("✗ revoked", await page.Locator($"#key-{key.Id}").InnerTextAsync());
        Assert.Null(h.Service<SchoolStore>().Authenticate(key.Key));
    }

    [Fact]
    public async Task A_new_user_chooses_a_password_with_the_link_and_signs_in()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        var users = h.Service<StaffUsers>();
        users.Add("new@school.example", "New Office", StaffRole.Staff, h.School.Id, null);
        var (_, token, _) = users.Invite("new@school.example");
        await using var context = await Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(Url(h, $"/set-password/{token}"));
        await page.GetByLabel("New password").FillAsync("a long passphrase of mine");
        await page.GetByLabel("The same password again").FillAsync("a long passphrase of mine");
        await page.GetByRole(AriaRole.Button, new() { Name = "Set my password" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "Your password is set" }).WaitForAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Sign in" }).ClickAsync();
        await page.GetByLabel("Email address").FillAsync("new@school.example");
        await page.GetByLabel("Password").FillAsync("a long passphrase of mine");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.GetByText("Signed in as").WaitForAsync();
    }

    [Fact]
    public async Task The_new_pages_and_their_refusals_have_no_accessibility_violations()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        var c = await h.Client.AddContactAsync("ann@old.example", mobile: "07400 123456", name: "Ann Parent");
        var key = h.Service<SchoolStore>().Keys(h.School.Id, all: false).First();
        var users = h.Service<StaffUsers>();
        users.Add("new@school.example", "New Office", StaffRole.Staff, h.School.Id, null);
        var (_, token, _) = users.Invite("new@school.example");
        await using var context = await Browser.NewContextAsync(javaScript: true);

        var anonymous = await context.NewPageAsync();
        await SupportConsoleBrowserTests.NoViolationsAsync(anonymous, h, $"/set-password/{token}");
        await anonymous.GetByLabel("New password").FillAsync("short");
        await anonymous.GetByLabel("New password").EvaluateAsync("e => e.removeAttribute('minlength')");
        await anonymous.GetByLabel("The same password again").FillAsync("short");
        await anonymous.GetByRole(AriaRole.Button, new() { Name = "Set my password" }).ClickAsync();
        await anonymous.Locator("#password-error").WaitForAsync();
        await SupportConsoleBrowserTests.NoViolationsAsync(anonymous, h, null);
        await SupportConsoleBrowserTests.NoViolationsAsync(anonymous, h, "/set-password/not-a-link");

        var page = await SupportConsoleBrowserTests.SignedInAsync(h, context, StaffRole.Support);
        foreach (var path in new[] { $"/contacts/{c}", "/support/schools", "/support/queue" })
            await SupportConsoleBrowserTests.NoViolationsAsync(page, h, path);
        await page.GotoAsync(Url(h, $"/contacts/{c}"));
        await page.Locator("#why-sms").EvaluateAsync("e => e.removeAttribute('required')");
        await page.Locator("#value-sms").FillAsync("12");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save the mobile number" }).ClickAsync();
        await page.Locator("#why-sms-error").WaitForAsync();
        await SupportConsoleBrowserTests.NoViolationsAsync(page, h, null);
        await page.GotoAsync(Url(h, "/support/schools"));
        await page.Locator($"#key-{key.Id} button").ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { NameRegex = new Regex("^Revoke key") }).WaitForAsync();
        await SupportConsoleBrowserTests.NoViolationsAsync(page, h, null);
    }
}

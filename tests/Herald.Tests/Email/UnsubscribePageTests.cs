using Deque.AxeCore.Playwright;
using Herald.Tests.Api;
using Herald.Tests.Servers;
using Microsoft.Playwright;

namespace Herald.Tests.Email;

/// <summary>The unsubscribe (preference) page as a parent meets it: in a real Chromium, without JavaScript, from the link
/// in the email, in English and in Spanish; and accessible (axe-core finds nothing to fix).</summary>
public class UnsubscribePageTests
{
    private static async Task<(HeraldHost H, long Contact, string Url)> SentAsync(string provider)
    {
        var h = await HeraldHost.StartAsync(provider, settings: UnsubscribeTests.Settings());
        var contact = await h.Client.AddContactAsync($"parent-{Guid.NewGuid():N}"[..18] + "@example.org");
        var sent = await UnsubscribeTests.SendAsync(h, contact, "trips");
        return (h, contact, new Uri(h.BaseAddress, $"unsubscribe/{UnsubscribeTests.TokenOf(sent.Message)}").ToString());
    }

    private static async Task<string> NextStatusAsync(HttpClient client, long contact, string category = "trips")
    {
        var a = await client.AddAnnouncementAsync([contact], false, category);
        await client.SendAsync(a);
        return (await client.WaitForReportAsync(a, r => r.StatusOf(contact) is not "queued", "a decision")).StatusOf(contact);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_parent_unsubscribes_and_undoes_it_with_the_keyboard_without_javascript(string provider)
    {
        var (h, contact, url) = await SentAsync(provider);
        await using var _h = h;
        await using var context = await Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(url);
        Assert.Contains(h.School.Name, await page.TitleAsync());
        var unsubscribe = page.GetByRole(AriaRole.Button, new() { Name = "Unsubscribe from trips emails" });
        await unsubscribe.FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await page.GetByRole(AriaRole.Status).WaitForAsync();
        Assert.Contains("You are unsubscribed from trips emails", await page.GetByRole(AriaRole.Status).InnerTextAsync());
        Assert.Equal("opted_out", await NextStatusAsync(h.Client, contact));

        await page.GetByRole(AriaRole.Button, new() { Name = "Undo: receive trips emails again" }).ClickAsync();
        await unsubscribe.WaitForAsync();
        Assert.Equal("sent", await NextStatusAsync(h.Client, contact));
        var sources = (await h.Client.LogAsync(contact)).Entries().Select(e => e.Str("source")).ToList();
        Assert.Equal(2, sources.Count(s => s == "page"));
    }

    [Fact]
    public async Task The_page_and_its_confirmation_have_no_accessibility_violations()
    {
        var (h, _, url) = await SentAsync("sqlite");
        await using var _h = h;
        // axe-core runs as a script in the page; the page itself needs none.
        await using var context = await Browser.NewContextAsync(javaScript: true);
        var page = await context.NewPageAsync();
        await page.GotoAsync(url);
        var before = await page.RunAxe();
        Assert.True(before.Violations.Length == 0, string.Join("\n", before.Violations.Select(v => $"{v.Id}: {v.Help}")));
        await page.GetByRole(AriaRole.Button, new() { Name = "Unsubscribe from trips emails" }).ClickAsync();
        await page.GetByRole(AriaRole.Status).WaitForAsync();
        var after = await page.RunAxe();
        Assert.True(after.Violations.Length == 0, string.Join("\n", after.Violations.Select(v => $"{v.Id}: {v.Help}")));
    }

    [Fact]
    public async Task A_mangled_link_shows_a_clear_page_and_changes_nothing()
    {
        var (h, contact, url) = await SentAsync("sqlite");
        await using var _h = h;
        await using var context = await Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        var response = await page.GotoAsync(url[..^3]);
        Assert.Equal(404, response!.Status);
        Assert.Contains("not valid", await page.Locator("main").InnerTextAsync());
        Assert.Equal("sent", await NextStatusAsync(h.Client, contact));
    }

    private static async Task AssertNoViolationsAsync(IPage page)
    {
        var result = await page.RunAxe();
        Assert.True(result.Violations.Length == 0, string.Join("\n", result.Violations.Select(v => $"{v.Id}: {v.Help}")));
    }

    private static async Task<string[]> OptOutsAsync(HttpClient client, long contact) =>
        (await client.GetAsync($"api/v1/contacts/{contact}").ExpectAsync(System.Net.HttpStatusCode.OK))["optOuts"]!.AsArray()
            .Select(x => x!.GetValue<string>()).Order(StringComparer.Ordinal).ToArray();

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_parent_chooses_categories_and_channels_with_the_keyboard_without_javascript_and_undoes_the_save(string provider)
    {
        var (h, contact, url) = await SentAsync(provider);
        await using var _h = h;
        await UnsubscribeTests.SendAsync(h, contact, "sports");
        await using var context = await Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(url);

        // The categories are fieldsets in alphabetical order, Email then SMS in each: sports, then trips.
        var sportsEmail = page.GetByRole(AriaRole.Group, new() { Name = "sports" }).GetByRole(AriaRole.Checkbox, new() { Name = "Email" });
        var tripsSms = page.GetByRole(AriaRole.Group, new() { Name = "trips" }).GetByRole(AriaRole.Checkbox, new() { Name = "SMS" });
        Assert.True(await sportsEmail.IsCheckedAsync());
        await sportsEmail.FocusAsync();
        await page.Keyboard.PressAsync("Space");
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.PressAsync("Tab");
        Assert.True(await tripsSms.EvaluateAsync<bool>("e => e === document.activeElement"));
        await page.Keyboard.PressAsync("Space");
        await page.Keyboard.PressAsync("Tab");
        Assert.Equal("Save choices", await page.EvaluateAsync<string>("() => document.activeElement.textContent"));
        await page.Keyboard.PressAsync("Enter");

        var status = page.GetByRole(AriaRole.Status);
        await status.WaitForAsync();
        var saved = await status.InnerTextAsync();
        Assert.Contains("You will no longer receive sports by email.", saved);
        Assert.Contains("You will no longer receive trips by SMS.", saved);
        Assert.Equal(["email:sports", "sms:trips"], await OptOutsAsync(h.Client, contact));
        Assert.False(await sportsEmail.IsCheckedAsync());
        Assert.Equal("opted_out", await NextStatusAsync(h.Client, contact, "sports"));
        Assert.Equal("sent", await NextStatusAsync(h.Client, contact, "trips"));
        Assert.Equal(2, (await h.Client.LogAsync(contact)).Entries().Count(e => e.Str("source") == "page"));

        await page.GetByRole(AriaRole.Button, new() { Name = "Undo these changes" }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await page.GetByText("You will receive sports by email again.").WaitForAsync();
        Assert.Empty(await OptOutsAsync(h.Client, contact));
        Assert.True(await sportsEmail.IsCheckedAsync());
        Assert.Equal(4, (await h.Client.LogAsync(contact)).Entries().Count(e => e.Str("source") == "page"));
    }

    [Fact]
    public async Task The_choices_and_their_saved_page_have_no_accessibility_violations_in_english()
    {
        var (h, _, url) = await SentAsync("sqlite");
        await using var _h = h;
        await using var context = await Browser.NewContextAsync(javaScript: true);
        var page = await context.NewPageAsync();
        await page.GotoAsync(url);
        await page.GetByRole(AriaRole.Group, new() { Name = "trips" }).GetByRole(AriaRole.Checkbox, new() { Name = "SMS" }).UncheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Save choices" }).ClickAsync();
        await page.GetByRole(AriaRole.Status).WaitForAsync();
        await AssertNoViolationsAsync(page);
    }

    [Fact]
    public async Task The_spanish_page_for_a_spanish_browser_has_no_accessibility_violations()
    {
        var (h, contact, url) = await SentAsync("sqlite");
        await using var _h = h;
        await using var context = await Browser.NewContextAsync(locale: "es-ES", javaScript: true);
        var page = await context.NewPageAsync();
        // Chromium asks for es-ES; the pages speak es.
        await page.GotoAsync(url);
        Assert.Equal("es", await page.GetAttributeAsync("html", "lang"));
        Assert.Contains("sus preferencias", await page.TitleAsync());
        Assert.Contains($"Recibe los correos de trips de {h.School.Name}.", await page.Locator("main").InnerTextAsync());
        await AssertNoViolationsAsync(page);

        await page.GetByRole(AriaRole.Group, new() { Name = "trips" }).GetByRole(AriaRole.Checkbox, new() { Name = "SMS" }).UncheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Guardar preferencias" }).ClickAsync();
        await page.GetByRole(AriaRole.Status).WaitForAsync();
        Assert.Contains("Ya no recibirá trips por SMS.", await page.GetByRole(AriaRole.Status).InnerTextAsync());
        Assert.Equal(["sms:trips"], await OptOutsAsync(h.Client, contact));
        await AssertNoViolationsAsync(page);

        await page.GetByRole(AriaRole.Button, new() { Name = "Darse de baja de los correos de trips" }).ClickAsync();
        await page.GetByText("Se ha dado de baja de los correos de trips").WaitForAsync();
        await AssertNoViolationsAsync(page);
    }
}

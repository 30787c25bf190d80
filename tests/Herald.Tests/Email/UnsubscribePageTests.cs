using Deque.AxeCore.Playwright;
using Herald.Tests.Api;
using Herald.Tests.Servers;
using Microsoft.Playwright;

namespace Herald.Tests.Email;

/// <summary>The unsubscribe page as a parent meets it: in a real Chromium, without JavaScript, from the link in the
/// email; and accessible (axe-core finds nothing to fix).</summary>
public class UnsubscribePageTests
{
    private static async Task<(HeraldHost H, long Contact, string Url)> SentAsync(string provider)
    {
        var h = await HeraldHost.StartAsync(provider, settings: UnsubscribeTests.Settings());
        var contact = await h.Client.AddContactAsync($"parent-{Guid.NewGuid():N}"[..18] + "@example.org");
        var sent = await UnsubscribeTests.SendAsync(h, contact, "trips");
        return (h, contact, new Uri(h.BaseAddress, $"unsubscribe/{UnsubscribeTests.TokenOf(sent.Message)}").ToString());
    }

    private static async Task<string> NextStatusAsync(HttpClient client, long contact)
    {
        var a = await client.AddAnnouncementAsync([contact], false, "trips");
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
}

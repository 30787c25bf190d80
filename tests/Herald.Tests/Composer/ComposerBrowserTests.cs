using Deque.AxeCore.Playwright;
using Herald.Tests.Api;
using Herald.Tests.Reports;
using Herald.Tests.Servers;
using Microsoft.Playwright;

namespace Herald.Tests.Composer;

/// <summary>The composer, the preview and the send in a real Chromium without JavaScript, through the sandbox transport
/// to the mailbox simulator and on to the report; and axe-core finds nothing to fix on the composer (also with its
/// messages) and the preview.</summary>
public class ComposerBrowserTests
{
    [Fact]
    public async Task A_secretary_composes_previews_and_sends_without_javascript_and_the_pages_pass_axe()
    {
        await using var h = await HeraldHost.StartAsync("sqlite");
        var alice = await h.Client.AddContactAsync(ComposerPagesTests.Sim("delivered"), name: "Alice Green", groups: ["year7"]);
        await h.Client.AddContactAsync(null, name: "Paper Pat", groups: ["year7"]);
        long id;
        await using (var context = await Browser.NewContextAsync())
        {
            var page = await ReportPagesBrowserTests.SignedInAsync(h, context);
            await page.GetByRole(AriaRole.Link, new() { Name = "Write a new announcement" }).ClickAsync();
            await page.GetByRole(AriaRole.Heading, new() { Name = "New announcement — " + h.School.Name }).WaitForAsync();

            // A first try without a subject: the message is next to the field and the rest is still there.
            await page.GetByLabel("Text", new() { Exact = true }).FillAsync("The choir sings on Friday at 6.");
            await page.GetByLabel("HTML (optional)").FillAsync("<p>The <b>choir</b> sings on Friday.</p><script>parent.document.title='x'</script>");
            await page.GetByLabel("Groups", new() { Exact = true }).FillAsync("year7");
            await page.GetByRole(AriaRole.Button, new() { Name = "Save the draft and preview it" }).ClickAsync();
            await page.Locator("#subject-error").WaitForAsync();
            Assert.Equal("The choir sings on Friday at 6.", await page.GetByLabel("Text", new() { Exact = true }).InputValueAsync());
            Assert.Equal("year7", await page.GetByLabel("Groups", new() { Exact = true }).InputValueAsync());

            await page.GetByLabel("Subject (required)").FillAsync("Choir concert");
            await page.GetByRole(AriaRole.Button, new() { Name = "Save the draft and preview it" }).ClickAsync();
            await page.GetByRole(AriaRole.Heading, new() { Name = "Preview: Choir concert" }).WaitForAsync();
            Assert.Contains("It reaches 1 of 2 contacts", await page.Locator("#reach-total").InnerTextAsync());
            Assert.Contains("Paper Pat", await page.Locator("#paper-list").InnerTextAsync());
            // The school's HTML is shown inside the sandbox, and its script did nothing to this page.
            var frame = page.FrameLocator("#mail-html");
            Assert.Equal("choir", await frame.Locator("b").InnerTextAsync());
            Assert.Equal("Preview: Choir concert", await page.TitleAsync());

            await page.GetByRole(AriaRole.Button, new() { Name = "Send it now" }).FocusAsync();
            await page.Keyboard.PressAsync("Enter");
            // The report's notice says the send is done. (Not WaitForURLAsync: here it was seen to wait past its own timeout
            // when the redirect had landed before it was called.)
            await page.Locator("#notice").WaitForAsync();
            Assert.Contains("/announcements/", page.Url);
            Assert.EndsWith("?sent=now", page.Url);
            Assert.Contains("Sent: the deliveries are on their way", await page.Locator("#notice").InnerTextAsync());
            id = long.Parse(new Uri(page.Url).AbsolutePath.Split('/')[^1], System.Globalization.CultureInfo.InvariantCulture);
            await h.Client.WaitForStatusAsync(id, alice, "delivered");
            await page.ReloadAsync();
            var row = page.Locator("#recipients-table tbody tr", new() { HasText = "Alice Green" });
            Assert.Contains("delivered", await row.InnerTextAsync());
        }

        // axe-core runs as a script in the page; the pages themselves need none.
        await using (var context = await Browser.NewContextAsync(javaScript: true))
        {
            var page = await ReportPagesBrowserTests.SignedInAsync(h, context);
            await page.GotoAsync(new Uri(h.BaseAddress, "/announcements/new").ToString());
            await AssertNoViolationsAsync(page, "composer");
            await page.GetByRole(AriaRole.Button, new() { Name = "Save the draft and preview it" }).ClickAsync();
            await page.Locator("#problems").WaitForAsync();
            await AssertNoViolationsAsync(page, "composer with its messages");
            var draft = await h.Client.AddAnnouncementAsync([alice], subject: "Draft to preview", channels: ["email", "sms"]);
            await page.GotoAsync(new Uri(h.BaseAddress, $"/announcements/{draft}/preview").ToString());
            await AssertNoViolationsAsync(page, "preview of a draft");
            await page.GotoAsync(new Uri(h.BaseAddress, $"/announcements/{id}/preview").ToString());
            await AssertNoViolationsAsync(page, "preview with the sandboxed HTML");
        }
    }

    private static async Task AssertNoViolationsAsync(IPage page, string what)
    {
        // Not inside iframes: the preview's iframe is the school's own HTML, sandboxed without scripts, so axe's script
        // cannot run in it (and would wait for it for ever); Herald's page around it is what is checked.
        var result = await page.RunAxe(new Deque.AxeCore.Commons.AxeRunOptions { Iframes = false });
        Assert.True(result.Violations.Length == 0, what + "\n" + string.Join("\n", result.Violations.Select(v =>
            $"{v.Id}: {v.Help} ({string.Join(", ", v.Nodes.Select(n => n.Html))})")));
    }
}

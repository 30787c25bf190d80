using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Herald.Email;
using Herald.Tests.Api;

namespace Herald.Tests.Email;

/// <summary>
/// The preference page's "choose categories and channels" form over real HTTP (docs/preferences.md): what it lists,
/// what a save changes and logs, the undo of a save, and the anti-forgery token every one of the page's forms needs.
/// </summary>
public class PreferencesTests
{
    private static string Address() => $"parent-{Guid.NewGuid():N}"[..18] + "@example.org";

    private static async Task<(HeraldHost H, long Contact, string Token)> StartAsync(string provider, string[]? optOuts = null)
    {
        var h = await HeraldHost.StartAsync(provider, settings: UnsubscribeTests.Settings());
        var contact = await h.Client.AddContactAsync(Address(), "07400 123456", optOuts: optOuts);
        var token = await TokenAsync(h, contact, "trips");
        await TokenAsync(h, contact, "sports");
        return (h, contact, token);
    }

    /// <summary>The unsubscribe token of a new email of <paramref name="category"/> to the contact (sent, or decided
    /// opted_out: the token is the one Herald would have put in it).</summary>
    private static async Task<string> TokenAsync(HeraldHost h, long contact, string category)
    {
        var a = await h.Client.AddAnnouncementAsync([contact], false, category, channels: ["email"]);
        await h.Client.SendAsync(a);
        var line = (await h.Client.WaitForReportAsync(a, r => r.StatusOf(contact) is not "queued", "a decision")).LineOf(contact);
        return h.Service<UnsubscribeTokens>().For(line["deliveryId"]!.GetValue<long>(), 1)!;
    }

    private static async Task<string> NextStatusAsync(HttpClient client, long contact, string category, string channel)
    {
        var a = await client.AddAnnouncementAsync([contact], false, category, channels: [channel]);
        await client.SendAsync(a);
        return (await client.WaitForReportAsync(a, r => r.StatusOf(contact, channel) is not "queued", "a decision")).StatusOf(contact, channel);
    }

    private static async Task<string[]> OptOutsAsync(HttpClient client, long contact) =>
        (await client.GetAsync($"api/v1/contacts/{contact}").ExpectAsync(HttpStatusCode.OK))["optOuts"]!.AsArray()
            .Select(x => x!.GetValue<string>()).Order(StringComparer.Ordinal).ToArray();

    private static async Task<List<JsonNode>> PreferenceLogAsync(HttpClient client, long contact) =>
        (await client.LogAsync(contact)).Entries().Where(e => e!["deliveryId"] is null).Select(e => e!).ToList();

    private static readonly string[] AllPairs = ["email:sports", "sms:sports", "email:trips", "sms:trips"];

    /// <summary>The choose form as a browser would post it: every pair shown, the ticked ones received.</summary>
    private static (string, string)[] Save(params string[] received) =>
        [("save", "1"), .. AllPairs.Select(p => ("shown", p)), .. received.Select(p => ("receive", p))];

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Saving_choices_changes_exactly_those_opt_outs_with_one_page_event_each_and_its_undo_restores(string provider)
    {
        var (h, contact, token) = await StartAsync(provider);
        await using var _h = h;
        var browser = h.CreateClient(null);

        // Unticked: trips by SMS and sports by email.
        using var save = await UnsubscribeTests.PagePostAsync(browser, token, Save("email:trips", "sms:sports"));
        var page = await save.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, save.StatusCode);
        Assert.Contains("You will no longer receive trips by SMS.", page);
        Assert.Contains("You will no longer receive sports by email.", page);
        Assert.Equal(["email:sports", "sms:trips"], await OptOutsAsync(h.Client, contact));
        Assert.Equal("opted_out", await NextStatusAsync(h.Client, contact, "trips", "sms"));
        Assert.Equal("opted_out", await NextStatusAsync(h.Client, contact, "sports", "email"));
        Assert.NotEqual("opted_out", await NextStatusAsync(h.Client, contact, "trips", "email"));
        Assert.NotEqual("opted_out", await NextStatusAsync(h.Client, contact, "sports", "sms"));
        var log = await PreferenceLogAsync(h.Client, contact);
        Assert.Equal(["page", "page"], log.Select(e => e.Str("source")));
        Assert.Equal(["opted out of 'sports' by email", "opted out of 'trips' by sms"],
            log.Select(e => Regex.Match(e.Str("detail")!, "^opted out of '[a-z]+' by [a-z]+").Value).Order(StringComparer.Ordinal));

        // The same post again: nothing changes, nothing is logged, and the page says so.
        using var again = await UnsubscribeTests.PagePostAsync(browser, token, Save("email:trips", "sms:sports"));
        Assert.Contains("Saved: nothing changed.", await again.Content.ReadAsStringAsync());
        Assert.Equal(2, (await PreferenceLogAsync(h.Client, contact)).Count);

        // The undo of the first save, exactly as its page offered it.
        var undoForm = Regex.Matches(page, "<form method=\"post\"[^>]*>.*?</form>", RegexOptions.Singleline).Select(m => m.Value)
            .Single(f => f.Contains("Undo these changes"));
        var fields = Regex.Matches(undoForm, "<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\"")
            .Select(m => (m.Groups[1].Value, WebUtility.HtmlDecode(m.Groups[2].Value)))
            .Where(f => f.Item1 != "__RequestVerificationToken").ToArray();
        using var undo = await UnsubscribeTests.PagePostAsync(browser, token, fields);
        var undone = await undo.Content.ReadAsStringAsync();
        Assert.Contains("You will receive trips by SMS again.", undone);
        Assert.Contains("You will receive sports by email again.", undone);
        Assert.Empty(await OptOutsAsync(h.Client, contact));
        Assert.Equal(4, (await PreferenceLogAsync(h.Client, contact)).Count(e => e.Str("source") == "page"));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Ticking_one_channel_of_a_category_left_on_every_channel_opts_back_in_on_that_channel_only(string provider)
    {
        var (h, contact, token) = await StartAsync(provider, optOuts: ["trips"]);
        await using var _h = h;

        using var save = await UnsubscribeTests.PagePostAsync(h.CreateClient(null), token, Save("email:sports", "sms:sports", "email:trips"));

        Assert.Equal(HttpStatusCode.OK, save.StatusCode);
        Assert.Equal(["sms:trips"], await OptOutsAsync(h.Client, contact));
        var entry = Assert.Single(await PreferenceLogAsync(h.Client, contact), e => e.Str("source") == "page");
        Assert.Contains("opted back in to 'trips' by email", entry.Str("detail"));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_page_form_posted_without_its_anti_forgery_token_is_refused_and_changes_nothing(string provider)
    {
        var (h, contact, token) = await StartAsync(provider);
        await using var _h = h;
        var browser = h.CreateClient(null);
        using (await browser.GetAsync($"unsubscribe/{token}")) { } // the anti-forgery cookie, but no field

        (string, string)[][] forms = [Save(), [("List-Unsubscribe", "One-Click"), ("page", "1")], [("undo", "1")],
            [.. Save(), ("__RequestVerificationToken", "forged")]];
        foreach (var form in forms)
            foreach (var client in new[] { browser, h.CreateClient(null) })
            {
                using var r = await client.PostAsync($"unsubscribe/{token}",
                    new FormUrlEncodedContent(form.Select(f => new KeyValuePair<string, string>(f.Item1, f.Item2))));
                Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
                Assert.Contains("Nothing was changed", await r.Content.ReadAsStringAsync());
            }

        Assert.Empty(await OptOutsAsync(h.Client, contact));
        Assert.Empty(await PreferenceLogAsync(h.Client, contact));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task The_page_lists_the_schools_categories_and_the_contacts_opt_outs_never_essential_with_a_sentence_that_essential_always_arrives(string provider)
    {
        var (h, contact, _) = await StartAsync(provider, optOuts: ["clubs"]);
        await using var _h = h;
        var (_, delivery, _) = await UnsubscribeTests.SendAsync(h, contact, "closures", essential: true);
        var essentialToken = h.Service<UnsubscribeTokens>().For(delivery, 1)!;

        using var get = await h.CreateClient(null).GetAsync($"unsubscribe/{essentialToken}");
        var page = await get.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("no-store", get.Headers.CacheControl?.ToString());
        Assert.Equal("no-referrer", get.Headers.GetValues("Referrer-Policy").Single());
        Assert.Equal("noindex", get.Headers.GetValues("X-Robots-Tag").Single());
        Assert.Contains("Essential messages go to every family and cannot be unsubscribed from.", page);
        Assert.Contains($"Essential messages from {h.School.Name} always arrive", page);
        // The categories' fieldsets, then the digest's ("how often").
        Assert.Equal(["clubs", "sports", "trips", "Send me"], Regex.Matches(page, "<legend>([^<]+)</legend>").Select(m => m.Groups[1].Value));
        Assert.DoesNotContain("<script", page, StringComparison.OrdinalIgnoreCase);
        // clubs is out on every channel: both its boxes unticked, the others ticked.
        Assert.Equal(4, Regex.Matches(page, "type=\"checkbox\"[^>]*checked").Count);

        // A pair the page does not list (closures, essential) is ignored; the others are saved.
        using var save = await UnsubscribeTests.PagePostAsync(h.CreateClient(null), essentialToken,
            [("save", "1"), ("shown", "email:closures"), ("shown", "email:essential"), ("shown", "sms:clubs"), ("receive", "sms:clubs")]);
        Assert.Equal(HttpStatusCode.OK, save.StatusCode);
        Assert.Equal(["email:clubs"], await OptOutsAsync(h.Client, contact));
    }

    [Fact]
    public async Task The_page_speaks_spanish_to_a_browser_that_asks_for_it()
    {
        var (h, _, token) = await StartAsync("sqlite");
        await using var _h = h;
        var browser = h.CreateClient(null);
        browser.DefaultRequestHeaders.AcceptLanguage.ParseAdd("es");

        var page = await browser.GetStringAsync($"unsubscribe/{token}");

        Assert.Contains("<html lang=\"es\">", page);
        Assert.Contains($"Recibe los correos de trips de {h.School.Name}.", page);
        Assert.Contains("Elija categorías y canales", page);
        Assert.Contains(">Guardar preferencias</button>", page);
        using var save = await UnsubscribeTests.PagePostAsync(browser, token, Save("email:trips", "email:sports", "sms:sports"));
        Assert.Contains("Ya no recibirá trips por SMS.", await save.Content.ReadAsStringAsync());
    }
}

using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Herald.Email;
using Herald.Schools;
using Herald.Tests.Api;
using MimeKit;

namespace Herald.Tests.Email;

/// <summary>
/// Unsubscribe that works (docs/preferences.md): the one-click link of RFC 8058 over real HTTP, its page, the footer,
/// essential announcements, and tokens that survive a secret rotation. Mail goes out through the sandbox transport,
/// whose .eml files are the messages exactly as they would have left.
/// </summary>
public class UnsubscribeTests
{
    public const string Secret = "unsubscribe-test-secret-1";
    private const string OldSecret = "unsubscribe-test-old-secret";
    private const string BaseUrl = "https://herald.school.test/";

    public static Dictionary<string, string?> Settings(string? baseUrl = BaseUrl) => new()
    {
        ["Herald:Email:Bounces:Domain"] = "bounces.school.test",
        ["Herald:Email:Bounces:TokenSecret"] = Secret,
        ["Herald:Email:UnsubscribeBaseUrl"] = baseUrl,
    };

    private static Task<HeraldHost> StartAsync(string provider, Dictionary<string, string?>? settings = null) =>
        HeraldHost.StartAsync(provider, settings: settings ?? Settings());

    /// <summary>Sends one announcement of <paramref name="category"/> to the contact and returns the message that went out.</summary>
    public static async Task<(long Announcement, long Delivery, MimeMessage Message)> SendAsync(HeraldHost h, long contact, string category,
        bool essential = false, HttpClient? client = null)
    {
        client ??= h.Client;
        var announcement = await client.AddAnnouncementAsync([contact], essential, category);
        await client.SendAsync(announcement);
        var line = (await client.WaitForStatusAsync(announcement, contact, "sent")).LineOf(contact);
        var delivery = line["deliveryId"]!.GetValue<long>();
        var file = Directory.GetFiles(h.SandboxEmailFolder, $"{delivery}-{line["attempt"]!.GetValue<int>()}-*.eml").Single();
        return (announcement, delivery, await MimeMessage.LoadAsync(file));
    }

    /// <summary>The token of the one-click link in the message's List-Unsubscribe header.</summary>
    public static string TokenOf(MimeMessage m)
    {
        var header = m.Headers["List-Unsubscribe"] ?? throw new Xunit.Sdk.XunitException($"no List-Unsubscribe header:\n{m.Headers}");
        var match = Regex.Match(header, "/unsubscribe/([a-z2-7]{26}-[a-z2-7]{16})>");
        Assert.True(match.Success, header);
        return match.Groups[1].Value;
    }

    /// <summary>What a mail client sends when its Unsubscribe button is pressed (RFC 8058 §3.1): no key, no cookie.</summary>
    private static Task<HttpResponseMessage> OneClickAsync(HeraldHost h, string token, params (string, string)[] form) =>
        h.CreateClient(null).PostAsync($"unsubscribe/{token}",
            new FormUrlEncodedContent(form.Length == 0 ? [new("List-Unsubscribe", "One-Click")] : form.Select(f => new KeyValuePair<string, string>(f.Item1, f.Item2))));

    /// <summary>What the preference page's own forms send: the page is fetched first by the same client (its cookie jar
    /// keeps the anti-forgery cookie), and its hidden anti-forgery field goes with <paramref name="form"/>.</summary>
    public static async Task<HttpResponseMessage> PagePostAsync(HttpClient browser, string token, params (string, string)[] form)
    {
        using var get = await browser.GetAsync($"unsubscribe/{token}");
        var m = Regex.Match(await get.Content.ReadAsStringAsync(), "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"");
        Assert.True(m.Success, "no anti-forgery field on the page");
        return await browser.PostAsync($"unsubscribe/{token}", new FormUrlEncodedContent(
            form.Select(f => new KeyValuePair<string, string>(f.Item1, f.Item2)).Append(new("__RequestVerificationToken", m.Groups[1].Value))));
    }

    /// <summary>The status of the contact in a new announcement of the category, once decided.</summary>
    private static async Task<string> NextStatusAsync(HttpClient client, long contact, string category, bool essential = false)
    {
        var a = await client.AddAnnouncementAsync([contact], essential, category);
        await client.SendAsync(a);
        return (await client.WaitForReportAsync(a, r => r.StatusOf(contact) is not "queued", "a decision")).StatusOf(contact);
    }

    private static async Task<List<JsonNode>> PreferenceLogAsync(HttpClient client, long contact) =>
        (await client.LogAsync(contact)).Entries().Where(e => e!["deliveryId"] is null).Select(e => e!).ToList();

    private static string Address() => $"parent-{Guid.NewGuid():N}"[..18] + "@example.org";

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_one_click_post_opts_the_contact_out_of_that_category_by_email_and_another_category_still_goes(string provider)
    {
        await using var h = await StartAsync(provider);
        var contact = await h.Client.AddContactAsync(Address());
        var sent = await SendAsync(h, contact, "trips");
        Assert.Equal("List-Unsubscribe=One-Click", sent.Message.Headers["List-Unsubscribe-Post"]);

        using var r = await OneClickAsync(h, TokenOf(sent.Message));

        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.False(r.Headers.Contains("Set-Cookie"));
        Assert.Equal("opted_out", await NextStatusAsync(h.Client, contact, "trips"));
        Assert.Equal("sent", await NextStatusAsync(h.Client, contact, "general"));
        var entry = Assert.Single(await PreferenceLogAsync(h.Client, contact));
        Assert.Equal("link", entry.Str("source"));
        Assert.Equal("email", entry.Str("channel"));
        Assert.Equal(sent.Announcement, entry["announcementId"]!.GetValue<long>());
        Assert.Contains("opted out of 'trips' by email", entry.Str("detail"));
        Assert.Equal(["email:trips"], (await h.Client.GetAsync($"api/v1/contacts/{contact}").ExpectAsync(HttpStatusCode.OK))["optOuts"]!
            .AsArray().Select(x => x!.GetValue<string>()));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_second_one_click_post_answers_200_again_and_changes_and_logs_nothing_new(string provider)
    {
        await using var h = await StartAsync(provider);
        var contact = await h.Client.AddContactAsync(Address());
        var token = TokenOf((await SendAsync(h, contact, "trips")).Message);
        using (var first = await OneClickAsync(h, token)) Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        using var again = await OneClickAsync(h, token);

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Single(await PreferenceLogAsync(h.Client, contact));
        Assert.Equal("opted_out", await NextStatusAsync(h.Client, contact, "trips"));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_forged_or_mangled_token_is_a_404_that_reveals_nothing_and_changes_nothing(string provider)
    {
        await using var h = await StartAsync(provider);
        var contact = await h.Client.AddContactAsync(Address());
        var token = TokenOf((await SendAsync(h, contact, "trips")).Message);
        var flipped = (token[0] == 'a' ? "b" : "a") + token[1..];
        var macFlipped = token[..^1] + (token[^1] == 'a' ? "b" : "a");
        // A real token of the bounce return path (another secret) is no unsubscribe token either.
        var otherSecret = new VerpAddress("unsubscribe", "bounces.school.test", Secret).TokenFor(1, 1);
        string[] forged = [flipped, macFlipped, token[..^2], token + "a", token.Replace('-', '_'), otherSecret, "x"];

        foreach (var f in forged)
        {
            using var post = await OneClickAsync(h, f);
            var body = await post.Content.ReadAsStringAsync();
            Assert.True(post.StatusCode == HttpStatusCode.NotFound, $"{f}: {(int)post.StatusCode} {body}");
            Assert.Contains("no such unsubscribe link", body);
            Assert.DoesNotContain("mac", body, StringComparison.OrdinalIgnoreCase);
            using var get = await h.CreateClient(null).GetAsync($"unsubscribe/{f}");
            Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
            Assert.Contains("Nothing was changed", await get.Content.ReadAsStringAsync());
        }
        Assert.Empty(await PreferenceLogAsync(h.Client, contact));
        Assert.Equal("sent", await NextStatusAsync(h.Client, contact, "trips"));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task An_essential_announcement_has_no_unsubscribe_header_says_so_in_its_footer_and_reaches_an_opted_out_contact(string provider)
    {
        await using var h = await StartAsync(provider);
        var contact = await h.Client.AddContactAsync(Address(), optOuts: ["closures"]);

        var sent = await SendAsync(h, contact, "closures", essential: true);

        Assert.Null(sent.Message.Headers["List-Unsubscribe"]);
        Assert.Null(sent.Message.Headers["List-Unsubscribe-Post"]);
        Assert.Contains($"essential message from {h.School.Name}", sent.Message.TextBody);
        Assert.Contains("cannot be unsubscribed from", sent.Message.TextBody);
        Assert.DoesNotContain("/unsubscribe/", sent.Message.TextBody);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_token_of_an_essential_announcement_unsubscribes_from_nothing(string provider)
    {
        await using var h = await StartAsync(provider);
        var contact = await h.Client.AddContactAsync(Address());
        var (_, delivery, _) = await SendAsync(h, contact, "closures", essential: true);
        var token = h.Service<UnsubscribeTokens>().For(delivery, 1)!;

        using var r = await OneClickAsync(h, token);

        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Contains("essential", await r.Content.ReadAsStringAsync());
        Assert.Empty(await PreferenceLogAsync(h.Client, contact));
        Assert.Equal("sent", await NextStatusAsync(h.Client, contact, "closures"));
    }

    [Fact]
    public async Task Every_non_essential_email_has_a_footer_with_the_unsubscribe_link_in_text_and_html_with_the_school_name_encoded()
    {
        await using var h = await StartAsync("sqlite");
        var slug = "enc-" + Guid.NewGuid().ToString("N")[..8];
        var schools = h.Service<SchoolStore>();
        var school = schools.Add(slug, "Smith & Jones <Primary>", $"office@{slug}.example", "The Office", null, "GB");
        var client = h.CreateClient(schools.CreateKey(school.Id, "test", false));
        var contact = await client.AddContactAsync(Address());
        var a = await client.PostJson("api/v1/announcements", new
        {
            subject = "Trip", text = "The trip is on Monday.", html = "<html><body><p>The trip is on <b>Monday</b>.</p></body></html>",
            channels = new[] { "email" }, category = "trips", audience = new { contactIds = new[] { contact } },
        }).ExpectAsync(HttpStatusCode.Created);
        await client.SendAsync(a["id"]!.GetValue<long>());
        var line = (await client.WaitForStatusAsync(a["id"]!.GetValue<long>(), contact, "sent")).LineOf(contact);
        var m = await MimeMessage.LoadAsync(Directory.GetFiles(h.SandboxEmailFolder, $"{line["deliveryId"]}-1-*.eml").Single());
        var url = $"{BaseUrl}unsubscribe/{TokenOf(m)}";

        Assert.Contains($"You receive trips messages from Smith & Jones <Primary>. To unsubscribe from trips emails: {url}", m.TextBody);
        Assert.Contains("Smith &amp; Jones &lt;Primary&gt;", m.HtmlBody);
        Assert.DoesNotContain("<Primary>", m.HtmlBody);
        Assert.Contains($"<a href=\"{url}\">Unsubscribe from trips emails</a>", m.HtmlBody);
        Assert.EndsWith("</p></body></html>", m.HtmlBody!.TrimEnd());
    }

    [Fact]
    public async Task Without_a_public_url_the_footer_gives_the_unsubscribe_address_and_the_header_has_no_one_click()
    {
        await using var h = await StartAsync("sqlite", Settings(baseUrl: null));
        var contact = await h.Client.AddContactAsync(Address());

        var (_, _, m) = await SendAsync(h, contact, "trips");

        var mailto = Regex.Match(m.Headers["List-Unsubscribe"]!, "<mailto:(unsubscribe\\+[a-z2-7-]+@bounces\\.school\\.test)\\?subject=unsubscribe>");
        Assert.True(mailto.Success, m.Headers["List-Unsubscribe"]);
        Assert.Null(m.Headers["List-Unsubscribe-Post"]);
        Assert.Contains($"send an email to {mailto.Groups[1].Value} with the subject \"unsubscribe\"", m.TextBody);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task The_page_names_the_school_and_its_one_button_unsubscribes_and_undo_opts_back_in(string provider)
    {
        await using var h = await StartAsync(provider);
        var contact = await h.Client.AddContactAsync(Address());
        var token = TokenOf((await SendAsync(h, contact, "trips")).Message);
        var browser = h.CreateClient(null);

        using var get = await browser.GetAsync($"unsubscribe/{token}");
        var page = await get.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("text/html", get.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<html lang=\"en\">", page);
        Assert.Contains(h.School.Name, page);
        Assert.DoesNotContain("<script", page, StringComparison.OrdinalIgnoreCase);
        // The unsubscribe button posts back to the same URL what a mail client's one-click would,
        // with the page's anti-forgery token.
        Assert.Contains("<input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\"", page);
        Assert.Contains("<button type=\"submit\">Unsubscribe from trips emails</button>", page);
        Assert.All(Regex.Matches(page, "<form [^>]*>").Select(m => m.Value), f => Assert.Equal($"<form method=\"post\" action=\"/unsubscribe/{token}\">", f));

        using var press = await PagePostAsync(browser, token, ("List-Unsubscribe", "One-Click"), ("page", "1"));
        var after = await press.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, press.StatusCode);
        Assert.Contains($"You are unsubscribed from trips emails from {h.School.Name}.", after);
        Assert.Contains("<input type=\"hidden\" name=\"undo\" value=\"1\"", after);
        Assert.Equal("opted_out", await NextStatusAsync(h.Client, contact, "trips"));

        using var undo = await PagePostAsync(browser, token, ("undo", "1"));
        Assert.Contains($"You receive trips emails from {h.School.Name}.", await undo.Content.ReadAsStringAsync());
        Assert.Equal("sent", await NextStatusAsync(h.Client, contact, "trips"));
        var log = await PreferenceLogAsync(h.Client, contact);
        Assert.Equal(["page", "page"], log.Select(e => e.Str("source")));
        Assert.Contains("opted out of 'trips' by email", log[0].Str("detail"));
        Assert.Contains("opted back in to 'trips' by email", log[1].Str("detail"));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Undo_after_an_opt_out_of_every_channel_opts_back_in_by_email_only(string provider)
    {
        await using var h = await StartAsync(provider);
        var contact = await h.Client.AddContactAsync(Address(), optOuts: ["trips"]);
        // A trips token of this contact (its delivery was decided opted_out: the token is one Herald would have made).
        var a = await h.Client.AddAnnouncementAsync([contact], category: "trips");
        await h.Client.SendAsync(a);
        var tripsDelivery = (await h.Client.WaitForStatusAsync(a, contact, "opted_out")).LineOf(contact)["deliveryId"]!.GetValue<long>();
        var token = h.Service<UnsubscribeTokens>().For(tripsDelivery, 1)!;

        using var undo = await PagePostAsync(h.CreateClient(null), token, ("undo", "1"));

        Assert.Equal(HttpStatusCode.OK, undo.StatusCode);
        Assert.Equal(["sms:trips"], (await h.Client.GetAsync($"api/v1/contacts/{contact}").ExpectAsync(HttpStatusCode.OK))["optOuts"]!
            .AsArray().Select(x => x!.GetValue<string>()));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_token_made_before_a_secret_rotation_still_unsubscribes_when_the_old_secret_is_in_the_keyring(string provider)
    {
        var settings = Settings();
        settings["Herald:Email:Bounces:PreviousTokenSecrets:0"] = OldSecret;
        await using var h = await StartAsync(provider, settings);
        var contact = await h.Client.AddContactAsync(Address());
        var (_, delivery, _) = await SendAsync(h, contact, "trips");
        // The link as Herald made it before the rotation, under the old secret.
        var old = new UnsubscribeTokens(new EmailOptions { Bounces = { Domain = "bounces.school.test", TokenSecret = OldSecret } }).For(delivery, 1)!;
        var unknown = new UnsubscribeTokens(new EmailOptions { Bounces = { Domain = "bounces.school.test", TokenSecret = "never-in-the-keyring" } }).For(delivery, 1)!;

        using (var r = await OneClickAsync(h, unknown)) Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        using (var r = await OneClickAsync(h, old)) Assert.Equal(HttpStatusCode.OK, r.StatusCode);

        Assert.Equal("link", Assert.Single(await PreferenceLogAsync(h.Client, contact)).Str("source"));
        Assert.Equal("opted_out", await NextStatusAsync(h.Client, contact, "trips"));
    }

    [Fact]
    public async Task A_one_click_post_without_its_form_body_is_refused_and_changes_nothing()
    {
        await using var h = await StartAsync("sqlite");
        var contact = await h.Client.AddContactAsync(Address());
        var token = TokenOf((await SendAsync(h, contact, "trips")).Message);

        using var r = await h.CreateClient(null).PostAsync($"unsubscribe/{token}", null);

        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Empty(await PreferenceLogAsync(h.Client, contact));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_token_of_a_deleted_contact_answers_200_and_changes_nothing(string provider)
    {
        await using var h = await StartAsync(provider);
        var contact = await h.Client.AddContactAsync(Address());
        var token = TokenOf((await SendAsync(h, contact, "trips")).Message);
        await h.Client.DeleteAsync($"api/v1/contacts/{contact}").ExpectAsync(HttpStatusCode.NoContent);

        using var r = await OneClickAsync(h, token);

        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Contains("nothing to change", await r.Content.ReadAsStringAsync());
        Assert.Empty(await PreferenceLogAsync(h.Client, contact));
    }
}

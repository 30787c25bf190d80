using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Herald.Tests.Api;
using Herald.Tests.Reports;

namespace Herald.Tests.Composer;

/// <summary>The composer, the preview with its reach check, sending, and resending from the report, over real HTTP
/// with a signed-in cookie and the forms' anti-forgery tokens, as a browser without script posts them.</summary>
public class ComposerPagesTests
{
    private static string Text(string html) => ReportPagesTests.Text(html);

    internal static string Token(string html) =>
        Regex.Match(html, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;

    /// <summary>What a textarea holds, as the browser reads it.</summary>
    private static string Box(string html, string id) =>
        WebUtility.HtmlDecode(Regex.Match(html, $"<textarea id=\"{id}\"[^>]*>(.*?)</textarea>", RegexOptions.Singleline).Groups[1].Value);

    internal static string Sim(string box) => $"{box}+{Guid.NewGuid():N}@simulator.herald.invalid";

    /// <summary>Posts a form (repeated names allowed, as checkboxes send them) with the token of the page it came from.</summary>
    internal static Task<HttpResponseMessage> PostFormAsync(StaffVisitor v, string path, string? token, params (string Name, string Value)[] fields)
    {
        var form = fields.Select(f => KeyValuePair.Create(f.Name, f.Value)).ToList();
        if (token is not null) form.Add(KeyValuePair.Create("__RequestVerificationToken", token));
        return v.Http.PostAsync(path, new FormUrlEncodedContent(form));
    }

    /// <summary>Composes on the page and returns the new draft's id (from the redirect to its preview).</summary>
    internal static async Task<long> ComposeAsync(StaffVisitor v, params (string, string)[] fields)
    {
        var token = Token(await v.PageAsync("announcements/new"));
        using var r = await PostFormAsync(v, "announcements/new", token, fields);
        Assert.True(r.StatusCode == HttpStatusCode.Found, $"{(int)r.StatusCode}: {Text(await r.Content.ReadAsStringAsync())}");
        var m = Regex.Match(r.Headers.Location!.ToString(), @"^/announcements/(\d+)/preview$");
        Assert.True(m.Success, r.Headers.Location!.ToString());
        return long.Parse(m.Groups[1].Value);
    }

    private static readonly (string, string)[] Letter =
    [
        ("subject", "Sports day"), ("text", "Sports day is on Friday."), ("channels", "email"), ("category", "general"),
        ("audience", "all"), ("sender", "school"),
    ];

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_refused_draft_says_what_is_wrong_next_to_each_field_and_keeps_everything_typed(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var v = await StaffVisitor.SignInAsync(h, h.School.Id);
        var token = Token(await v.PageAsync("announcements/new"));

        using var r = await PostFormAsync(v, "announcements/new", token, ("subject", "   "), ("text", "Dear families,\nthe trip <leaves> at 8."),
            ("html", "<p>The trip</p>"), ("smsText", "Trip at 8 €"), ("channels", "email"), ("channels", "sms"), ("category", "Trips!"),
            ("audience", "contacts"), ("contacts", "nobody-has-this"), ("sender", "default"), ("essential", "yes"), ("action", "save"));
        var html = await r.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        var text = Text(html);
        Assert.Contains("Nothing was saved: 3 field(s) to fix", text);
        // Each message sits next to its field and is what the field's description points at.
        Assert.Matches("<input id=\"subject\"[^>]*aria-invalid=\"true\"[^>]*aria-describedby=\"subject-error\"", html);
        Assert.Matches("<span class=\"error\" id=\"subject-error\">Error: is required</span>", html);
        Assert.Matches("<input id=\"category\"[^>]*value=\"Trips!\"[^>]*aria-describedby=\"category-hint category-error\"", html);
        Assert.Contains("'Trips!' is not a category", text);
        Assert.Matches("<textarea id=\"contacts\"[^>]*aria-describedby=\"contacts-hint contacts-error\"[^>]*>nobody-has-this</textarea>", html);
        Assert.Contains("no contact has the external id 'nobody-has-this'", text);
        // Nothing typed is lost: bodies (encoded, not markup), channels, audience, sender, the essential flag.
        Assert.Equal("Dear families,\nthe trip <leaves> at 8.", Box(html, "text"));
        Assert.Equal("<p>The trip</p>", Box(html, "html"));
        Assert.Contains("&lt;p&gt;The trip&lt;/p&gt;</textarea>", html);
        Assert.Matches("id=\"ch-sms\"[^>]*checked", html);
        Assert.Matches("id=\"aud-contacts\"[^>]*checked", html);
        Assert.Matches("id=\"sender-default\"[^>]*checked", html);
        Assert.Matches("id=\"essential\"[^>]*checked", html);
        // The SMS part count, worked out at the submit: the euro sign is an extension character (two units).
        Assert.Contains("1 SMS part(s) (GSM-7, 12 units); at most 6.", text);
        Assert.Empty((await h.Client.GetAsync("api/v1/announcements").ExpectAsync(HttpStatusCode.OK)).AsArray());
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task The_preview_shows_the_email_sandboxed_the_sms_parts_and_the_same_reach_as_the_api(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        await h.Client.AddContactAsync(Sim("delivered"), name: "Alice Green", groups: ["year7"]);
        await h.Client.AddContactAsync(null, mobile: "+447400123456", name: "Dan Nomail", externalId: "dan-1", groups: ["year7"]);
        await h.Client.AddContactAsync(Sim("delivered"), name: "Eve Optout", optOuts: ["trips"], groups: ["year7"]);
        await h.Client.AddContactAsync(Sim("delivered"), name: "Not In Year 7", groups: ["year8"]);
        var v = await StaffVisitor.SignInAsync(h, h.School.Id);
        var sms = new string('a', 200);
        var id = await ComposeAsync(v, ("subject", "Trip to the museum"), ("text", "The trip is on Monday."),
            ("html", "<p>The trip</p><script>document.title='owned'</script>"), ("smsText", sms), ("channels", "email"), ("channels", "sms"),
            ("category", "trips"), ("audience", "groups"), ("groups", "year7"), ("sender", "default"), ("action", "save"));

        // The page made the same draft the API would have.
        var draft = await h.Client.GetAsync($"api/v1/announcements/{id}").ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("draft", draft.Str("state"));
        Assert.Equal(["email", "sms"], draft["channels"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.Equal(["year7"], draft["audience"]!["groups"]!.AsArray().Select(c => c!.GetValue<string>()));

        var html = await v.PageAsync($"announcements/{id}/preview");
        var text = Text(html);
        Assert.Contains("From Herald <no-reply@herald.invalid>", text);
        Assert.Contains("You receive trips messages from", Text(Regex.Match(html, "<pre id=\"mail-text\">(.*?)</pre>", RegexOptions.Singleline).Value));
        // The school's HTML is only the srcdoc of a sandbox with no permission: its script is never part of this page.
        var frame = Regex.Match(html, "<iframe[^>]*>").Value;
        Assert.True(frame.Contains(" sandbox srcdoc=\"&lt;p&gt;The trip&lt;/p&gt;&lt;script&gt;"), frame);
        Assert.DoesNotContain("allow-", frame);
        Assert.DoesNotContain("<script>document.title", html);
        Assert.Contains("2 SMS part(s) (GSM-7, 200 units); at most 6.", text);

        var reach = await h.Client.GetAsync($"api/v1/announcements/{id}/reach").ExpectAsync(HttpStatusCode.OK);
        Assert.True(reach["reached"]!.GetValue<int>() == 2, reach.ToJsonString());
        Assert.Contains("It reaches 2 of 3 contacts", text);
        var channels = Text(Regex.Match(html, "<table id=\"reach-channels\">.*?</table>", RegexOptions.Singleline).Value);
        // The same numbers as the API's: Dan has no email, Eve opted out of trips; Alice and Eve have no mobile.
        var (email, smsReach) = (reach["channels"]!["email"]!, reach["channels"]!["sms"]!);
        Assert.Contains($"Email {email["reached"]} 0 {email["decisions"]!["email_missing"]} email missing, {email["decisions"]!["opted_out"]} opted out", channels);
        Assert.Contains($"SMS {smsReach["reached"]} 0 {smsReach["decisions"]!["mobile_missing"]} mobile missing", channels);
        Assert.Contains("Email 1 0 1 email missing, 1 opted out SMS 1 0 2 mobile missing", channels);
        var paper = Text(Regex.Match(html, "<table id=\"paper-list\">.*?</table>", RegexOptions.Singleline).Value);
        Assert.Contains("The paper list: 1 contact(s) no channel reaches", paper);
        Assert.Contains("Eve Optout", paper);
        Assert.DoesNotContain("Alice", paper);
        Assert.Contains($"action=\"/announcements/{id}/send\"", html);
    }

    [Fact]
    public async Task Staff_of_another_school_get_404_on_a_drafts_preview_and_cannot_send_it()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        await h.Client.AddContactAsync(Sim("delivered"));
        var v = await StaffVisitor.SignInAsync(h, h.School.Id);
        var id = await ComposeAsync(v, Letter);
        var (other, _) = h.AddSchoolWithKey("other-" + Guid.NewGuid().ToString("N")[..6]);
        var stranger = await StaffVisitor.SignInAsync(h, other.Id);

        Assert.DoesNotContain("Sports day", Text(await stranger.PageAsync($"announcements/{id}/preview", HttpStatusCode.NotFound)));
        using (var r = await PostFormAsync(stranger, $"announcements/{id}/send", Token(await stranger.PageAsync("announcements/new"))))
            Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        Assert.Equal("draft", (await h.Client.GetAsync($"api/v1/announcements/{id}").ExpectAsync(HttpStatusCode.OK)).Str("state"));
        await v.PageAsync("announcements/999999999/preview", HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_form_without_its_anti_forgery_token_is_refused_and_changes_nothing()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        await h.Client.AddContactAsync(Sim("delivered"));
        var v = await StaffVisitor.SignInAsync(h, h.School.Id);
        using (var r = await PostFormAsync(v, "announcements/new", null, Letter))
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Empty((await h.Client.GetAsync("api/v1/announcements").ExpectAsync(HttpStatusCode.OK)).AsArray());

        var id = await ComposeAsync(v, Letter);
        using (var r = await PostFormAsync(v, $"announcements/{id}/send", null))
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("draft", (await h.Client.GetAsync($"api/v1/announcements/{id}").ExpectAsync(HttpStatusCode.OK)).Str("state"));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Send_goes_to_the_report_with_its_deliveries_and_a_second_click_sends_nothing_more(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var alice = await h.Client.AddContactAsync(Sim("delivered"), name: "Alice Green");
        var dan = await h.Client.AddContactAsync(null, mobile: "+447700900123", name: "Dan Nomail");
        var v = await StaffVisitor.SignInAsync(h, h.School.Id);
        var id = await ComposeAsync(v, Letter);
        var token = Token(await v.PageAsync($"announcements/{id}/preview"));

        using (var r = await PostFormAsync(v, $"announcements/{id}/send", token))
        {
            Assert.Equal(HttpStatusCode.Found, r.StatusCode);
            Assert.Equal($"/announcements/{id}?sent=now", r.Headers.Location!.ToString());
        }
        var report = await h.Client.ReportAsync(id);
        Assert.Equal(2, report["recipients"]!["total"]!.GetValue<long>());
        Assert.Equal("queued", report.StatusOf(alice));
        Assert.Equal("email_missing", report.StatusOf(dan));
        Assert.Contains("Sent: the deliveries are on their way", Text(await v.PageAsync($"announcements/{id}?sent=now")));

        // The second click of a double click (its page had the same token) sends nothing more, and says so.
        using (var r = await PostFormAsync(v, $"announcements/{id}/send", token))
            Assert.Equal($"/announcements/{id}?sent=already", r.Headers.Location!.ToString());
        Assert.Equal(2, (await h.Client.ReportAsync(id))["recipients"]!["total"]!.GetValue<long>());
        Assert.Contains("This announcement had already been sent: nothing was sent again.", Text(await v.PageAsync($"announcements/{id}?sent=already")));
        // A sent announcement's preview has no Send button any more.
        var preview = await v.PageAsync($"announcements/{id}/preview");
        Assert.DoesNotContain($"action=\"/announcements/{id}/send\"", preview);
        Assert.Contains("This announcement has been sent.", Text(preview));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Resend_from_the_report_first_answers_the_dry_run_then_resends_once_on_confirm(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider);
        var (id, alice, bob, _, dan) = await ReportPagesTests.SendAsync(h);
        var v = await StaffVisitor.SignInAsync(h, h.School.Id);
        var report = await v.PageAsync($"announcements/{id}");
        Assert.Contains($"form=\"resend\" name=\"contacts\" value=\"{dan}\"", report);
        var token = Token(report);

        // Nothing chosen: the form says so next to itself, and nothing happens.
        using (var r = await PostFormAsync(v, $"announcements/{id}/resend", token, ("step", "check"), ("channel", "both")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            var html = await r.Content.ReadAsStringAsync();
            Assert.Contains("aria-describedby=\"resend-hint resend-error\"", html);
            Assert.Contains("Choose at least one status, or tick recipients in the table, to resend to.", Text(html));
        }

        // The check is the API's dry run: the same numbers, and who is left out and why.
        var api = await h.Client.PostJson($"api/v1/announcements/{id}/resend",
            new { statuses = new[] { "hard_bounce", "delivered" }, dryRun = true, by = "test" }).ExpectAsync(HttpStatusCode.OK);
        string check;
        using (var r = await PostFormAsync(v, $"announcements/{id}/resend", token, ("step", "check"), ("channel", "both"),
                   ("statuses", "hard_bounce"), ("statuses", "delivered")))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            check = await r.Content.ReadAsStringAsync();
        }
        var checkText = Text(check);
        Assert.Contains($"It would resend {api["resent"]} delivery(ies).", checkText);
        Assert.Equal(1, api["resent"]!.GetValue<int>());
        Assert.Contains("Not resent: 2, and why", checkText);
        Assert.Matches(@"Alice Green Email delivered It already reached them: it is not sent twice\.", checkText);
        Assert.Equal(1, (await h.Client.ReportAsync(id)).LineOf(bob)["attempt"]!.GetValue<int>());

        // Confirm, twice (a double click): one new attempt.
        for (var i = 0; i < 2; i++)
        {
            using var r = await PostFormAsync(v, $"announcements/{id}/resend", Token(check), ("step", "confirm"), ("channel", "both"),
                ("statuses", "hard_bounce"), ("statuses", "delivered"), ("key", Regex.Match(check, "name=\"key\" value=\"([^\"]+)\"").Groups[1].Value));
            Assert.Equal(HttpStatusCode.Found, r.StatusCode);
            Assert.Equal($"/announcements/{id}?resent=1", r.Headers.Location!.ToString());
        }
        var after = await h.Client.ReportAsync(id);
        Assert.Equal(2, after.LineOf(bob)["attempt"]!.GetValue<int>());
        Assert.Equal(1, after.LineOf(alice)["attempt"]!.GetValue<int>());
        Assert.Contains("Resent 1 delivery(ies)", Text(await v.PageAsync($"announcements/{id}?resent=1")));
        var log = (await h.Client.LogAsync(bob)).Entries();
        Assert.Contains(log, e => e!.Str("detail") is { } d && d.Contains("resend by Ann Office (", StringComparison.Ordinal));

        // Chosen recipients: Dan still has no email, so the check says the resend would find it missing again.
        var dry = Text(await (await PostFormAsync(v, $"announcements/{id}/resend", token, ("step", "check"), ("channel", "email"),
            ("contacts", dan.ToString()))).Content.ReadAsStringAsync());
        Assert.Contains("It would resend 1 delivery(ies).", dry);
        Assert.Contains("Email: 1 email missing", dry);
    }

    [Fact]
    public async Task The_composer_and_its_messages_speak_spanish()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        var v = await StaffVisitor.SignInAsync(h, h.School.Id, "es-ES");
        var page = await v.PageAsync("announcements/new");
        Assert.Contains("Comunicado nuevo", Text(page));
        using var r = await PostFormAsync(v, "announcements/new", Token(page), ("subject", ""), ("text", "Hola"), ("channels", "email"),
            ("category", "general"), ("audience", "groups"), ("groups", ""), ("action", "save"));
        var text = Text(await r.Content.ReadAsStringAsync());
        Assert.Contains("No se ha guardado nada: 2 campo(s) por corregir", text);
        Assert.Contains("Error: es obligatorio", text);
        Assert.Contains("Error: indique al menos un grupo", text);
    }
}

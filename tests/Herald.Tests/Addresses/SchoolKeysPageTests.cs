using System.Net;
using Herald.Schools;
using Herald.Tests.Api;
using Herald.Tests.Reports;

namespace Herald.Tests.Addresses;

/// <summary>Support's list of schools and their API keys over real HTTP: what a key shows (never its secret or hash),
/// a revocation confirmed first and then refused to the key's next request, and who may do it.</summary>
public class SchoolKeysPageTests
{
    private static async Task<HttpResponseMessage> RevokeAsync(StaffVisitor v, long key, string? token, bool confirm)
    {
        var form = new Dictionary<string, string>();
        if (token is not null) form["__RequestVerificationToken"] = token;
        if (confirm) form["confirm"] = "yes";
        return await v.Http.PostAsync($"support/schools/keys/{key}/revoke", new FormUrlEncodedContent(form));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Support_see_each_schools_keys_without_their_secrets_and_revoke_one_after_confirming(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var store = h.Service<SchoolStore>();
        var readOnly = store.CreateKey(h.School.Id, "dashboard", isOperator: false, readOnly: true, expiresAt: DateTimeOffset.UtcNow.AddDays(30));
        var keyId = store.Keys(h.School.Id, all: false).Single(k => k.Prefix == h.SchoolKey[..10]).Id;
        var v = await StaffVisitor.SignInAsync(h, null);
        Assert.Contains("href=\"/support/schools\"", await v.PageAsync(""));

        var html = await v.PageAsync("support/schools");
        var text = ReportPagesTests.Text(html);
        Assert.Contains(h.School.Name, text);
        // Name, prefix, created, expires, last used, access and state, in that order.
        var row = ReportPagesTests.Text(System.Text.RegularExpressions.Regex.Match(html, $"<tr id=\"key-{readOnly.Id}\">(.*?)</tr>",
            System.Text.RegularExpressions.RegexOptions.Singleline).Groups[1].Value);
        Assert.Matches($@"^dashboard \(id {readOnly.Id}\) {readOnly.Prefix}… \d{{4}}-\d\d-\d\d \d\d:\d\d \d{{4}}-\d\d-\d\d \d\d:\d\d never read-only ✓ active Revoke…$", row.Trim());
        // The secret never leaves Herald again, nor its hash.
        Assert.DoesNotContain(h.SchoolKey, html);
        Assert.DoesNotContain(readOnly.Key, html);
        Assert.DoesNotContain(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(h.SchoolKey))), html,
            StringComparison.OrdinalIgnoreCase);

        // The first press only asks.
        var token = SupportConsoleTests.Token(html);
        using (var r = await RevokeAsync(v, keyId, token, confirm: false))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            var ask = ReportPagesTests.Text(await r.Content.ReadAsStringAsync());
            Assert.Contains("Every later request with this key is refused at once (401)", ask);
            Assert.Contains("No, keep it", ask);
        }
        await h.Client.GetAsync("api/v1/contacts").ExpectAsync(HttpStatusCode.OK);

        // Without its anti-forgery token, nothing happens.
        using (var r = await RevokeAsync(v, keyId, null, confirm: true))
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        await h.Client.GetAsync("api/v1/contacts").ExpectAsync(HttpStatusCode.OK);

        using (var r = await RevokeAsync(v, keyId, token, confirm: true))
        {
            Assert.Equal(HttpStatusCode.Found, r.StatusCode);
            Assert.Equal($"/support/schools?revoked={keyId}#key-{keyId}", r.Headers.Location!.ToString());
        }
        await h.Client.GetAsync("api/v1/contacts").ExpectAsync(HttpStatusCode.Unauthorized);
        var after = ReportPagesTests.Text(await v.PageAsync($"support/schools?revoked={keyId}"));
        Assert.Contains("is revoked.", after);
        Assert.Matches(@"✗ revoked \d{4}-\d\d-\d\d \d\d:\d\d UTC", after);
        Assert.Equal("revoked", store.Keys(h.School.Id, all: true).Single(k => k.Id == keyId).State);

        using (var r = await RevokeAsync(v, keyId, token, confirm: true))
        {
            Assert.Equal(HttpStatusCode.Conflict, r.StatusCode);
            Assert.Contains("was already revoked", ReportPagesTests.Text(await r.Content.ReadAsStringAsync()));
        }
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Staff_get_403_and_cannot_revoke_a_key(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var keyId = h.Service<SchoolStore>().Keys(h.School.Id, all: false).First().Id;
        var staff = await StaffVisitor.SignInAsync(h, h.School.Id);
        Assert.DoesNotContain("href=\"/support/schools\"", await staff.PageAsync(""));
        await staff.PageAsync("support/schools", HttpStatusCode.Forbidden);
        using (var r = await RevokeAsync(staff, keyId, SupportConsoleTests.Token(await staff.PageAsync("")), confirm: true))
            Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        await h.Client.GetAsync("api/v1/contacts").ExpectAsync(HttpStatusCode.OK);
    }
}

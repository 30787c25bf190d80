using System.Net;
using System.Text.RegularExpressions;
using Herald.Staff;
using Herald.Tests.Api;

namespace Herald.Tests.Reports;

/// <summary>A signed-in staff or support member over real HTTP, with a cookie jar like a browser's.</summary>
public sealed record StaffVisitor(HttpClient Http, CookieContainer Cookies)
{
    public const string Password = "correct horse battery staple";

    public static StaffVisitor Anonymous(HeraldHost h, string? language = null)
    {
        var cookies = new CookieContainer();
        var http = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = h.BaseAddress };
        if (language is not null) http.DefaultRequestHeaders.AcceptLanguage.ParseAdd(language);
        return new StaffVisitor(http, cookies);
    }

    /// <summary>Adds a staff member of <paramref name="schoolId"/> (support when null) and signs them in.</summary>
    public static async Task<StaffVisitor> SignInAsync(HeraldHost h, long? schoolId, string? language = null)
    {
        var email = $"u-{Guid.NewGuid():N}"[..12] + "@school.example";
        h.Service<StaffUsers>().Add(email, "Ann Office", schoolId is null ? StaffRole.Support : StaffRole.Staff, schoolId, Password);
        var v = Anonymous(h, language);
        var html = await v.Http.GetStringAsync("sign-in");
        var token = Regex.Match(html, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
        using var r = await v.Http.PostAsync("sign-in", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = email, ["password"] = Password, ["returnUrl"] = "/", ["__RequestVerificationToken"] = token,
        }));
        Assert.Equal(HttpStatusCode.Found, r.StatusCode);
        return v;
    }

    public async Task<string> PageAsync(string path, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var r = await Http.GetAsync(path);
        var body = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == expected, $"GET {path}: {(int)r.StatusCode}, expected {(int)expected}\n{body}");
        return body;
    }
}

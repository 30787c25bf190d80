using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Herald.Tests.Api;
using Herald.Tests.Cli;

namespace Herald.Tests.Fallback;

/// <summary>The reach check answers, before sending and without writing, who each channel will reach, who gets a
/// fallback and who must be told on paper.</summary>
public class ReachTests
{
    private static async Task<long> EssentialAsync(HttpClient client, long[] contacts)
    {
        var body = await client.PostJson("api/v1/announcements", new
        {
            subject = "Closure", text = "School is closed today.", channels = new[] { "email" }, category = "general", essential = true,
            audience = new { contactIds = contacts },
        }).ExpectAsync(HttpStatusCode.Created);
        return body["id"]!.GetValue<long>();
    }

    private static long Id(JsonNode? n) => n!["contactId"]!.GetValue<long>();

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task The_reach_check_says_what_the_send_then_does(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var byEmail = await h.Client.AddContactAsync("ann@school.example", "07400 123456");
        var bySms = await h.Client.AddContactAsync(null, "07400 123457", externalId: "ext-sms");
        var nobody = await h.Client.AddContactAsync(null, null, externalId: "ext-paper", name: "Pat Paper");
        var a = await EssentialAsync(h.Client, [byEmail, bySms, nobody]);

        var reach = await h.Client.GetAsync($"api/v1/announcements/{a}/reach").ExpectAsync(HttpStatusCode.OK);
        Assert.Equal((3, 2), (reach["recipients"]!.GetValue<int>(), reach["reached"]!.GetValue<int>()));
        Assert.Equal((1L, 0L, 2L), (reach["channels"]!["email"]!["reached"]!.GetValue<long>(), reach["channels"]!["email"]!["byFallback"]!.GetValue<long>(),
            reach["channels"]!["email"]!["decisions"]!["email_missing"]!.GetValue<long>()));
        Assert.Equal((1L, 1L), (reach["channels"]!["sms"]!["reached"]!.GetValue<long>(), reach["channels"]!["sms"]!["byFallback"]!.GetValue<long>()));
        Assert.Equal(bySms, Id(Assert.Single(reach["fallbacks"]!.AsArray())));
        var paper = Assert.Single(reach["unreachable"]!.AsArray())!;
        Assert.Equal((nobody, "Pat Paper", "ext-paper"), (Id(paper), paper.Str("name"), paper.Str("externalId")));
        Assert.Equal("email_missing: no usable primary email", paper["reasons"].Str("email"));
        Assert.EndsWith("mobile_missing (no usable mobile number)", paper["reasons"].Str("sms"));
        Assert.Equal(0, (await h.Client.ReportAsync(a))["recipients"]!["total"]!.GetValue<long>());

        await h.Client.SendAsync(a);
        var report = await h.Client.ReportAsync(a);
        Assert.Equal((1L, 2L, 1L), (report.Count("queued"), report.Count("email_missing"), report.Count("queued", "sms")));
        Assert.Equal(bySms, Id(Assert.Single(report.Lines(), l => l.Str("channel") == "sms")));
        Assert.DoesNotContain(report.Lines(), l => Id(l) == nobody && l.Str("status") is "queued" or "sent");
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task The_paper_list_as_csv_escapes_a_name_a_spreadsheet_would_run(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var c = await h.Client.AddContactAsync(null, null, name: "=HYPERLINK(\"http://evil.example\",\"x\")", externalId: "@ext-1");
        var a = await EssentialAsync(h.Client, [c]);
        using var r = await h.Client.GetAsync($"api/v1/announcements/{a}/reach?format=csv");
        var csv = await r.Content.ReadAsStringAsync();
        Assert.Equal((HttpStatusCode.OK, "text/csv"), (r.StatusCode, r.Content.Headers.ContentType?.MediaType));
        using var parser = new CsvHelper.CsvParser(new StringReader(csv), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(parser.Read());
        Assert.Equal(["contactId", "name", "externalId", "email", "sms"], parser.Record!);
        Assert.True(parser.Read());
        Assert.Equal([c.ToString(), "'=HYPERLINK(\"http://evil.example\",\"x\")", "'@ext-1", "email_missing: no usable primary email"], parser.Record![..4]);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Asking_for_text_csv_gets_the_paper_list(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var c = await h.Client.AddContactAsync(null, null, name: "Sam Paper");
        var a = await EssentialAsync(h.Client, [c]);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"api/v1/announcements/{a}/reach");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        using var r = await h.Client.SendAsync(request);
        Assert.Equal("text/csv", r.Content.Headers.ContentType?.MediaType);
        Assert.Contains($"{c},Sam Paper,", await r.Content.ReadAsStringAsync());
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task The_command_line_prints_the_paper_list(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var c = await h.Client.AddContactAsync(null, null, name: "Sam Paper");
        var a = await EssentialAsync(h.Client, [c]);
        var csv = (await CliSteps.RunOk(h.Storage, "announcements", "reach", a.ToString(), "--school", h.School.Slug, "--csv")).Output;
        Assert.Contains($"{c},Sam Paper,", csv);
        var text = (await CliSteps.RunOk(h.Storage, "announcements", "reach", a.ToString())).Output;
        Assert.Contains("0 of 1 contacts reached", text);
    }
}

using System.Net;
using System.Text;

namespace Herald.Tests.Api;

/// <summary>A school imports its contacts from a CSV export of its SIS.</summary>
public class ContactImportTests
{
    private const string Header = "external_id,role,name,email,mobile,groups,opt_outs,digest";

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Valid_rows_are_imported_and_listed(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var r = await h.Client.PostCsv($"{Header}\ns1,student,Ann Lee,ann@school.example,,year-7,,no\ng1,guardian,Bob Lee,bob@school.example,07700900123,,trips,yes\n")
            .ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(2, r["imported"]!.GetValue<int>());
        Assert.Equal(0, r["rejected"]!.GetValue<int>());
        var list = await h.Client.GetAsync("api/v1/contacts").ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(2, list["total"]!.GetValue<long>());
        Assert.Equal(["Ann Lee", "Bob Lee"], list["items"]!.AsArray().Select(c => c.Str("name")).Order());
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task An_invalid_row_is_reported_with_its_line_and_column_and_the_valid_rows_are_still_imported(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var r = await h.Client.PostCsv($"{Header}\ns1,student,Ann Lee,ann@school.example,,,,\ns2,teacher,Cy Lee,cy@school.example,,,,\n")
            .ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(1, r["imported"]!.GetValue<int>());
        Assert.Equal(1, r["rejected"]!.GetValue<int>());
        var error = Assert.Single(r["errors"]!.AsArray());
        Assert.Equal(3, error!["line"]!.GetValue<int>());
        Assert.Equal("role", error.Str("column"));
        Assert.Contains("teacher", error.Str("message"));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Importing_the_same_file_twice_leaves_one_contact_per_external_id(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var csv = $"{Header}\ns1,student,Ann Lee,ann@school.example,,year-7,,\ns2,student,Bo Ray,bo@school.example,,,,\n";
        await h.Client.PostCsv(csv).ExpectAsync(HttpStatusCode.OK);
        var first = (await h.Client.GetAsync("api/v1/contacts").ExpectAsync(HttpStatusCode.OK))["items"]!.AsArray()
            .Select(c => (c!["id"]!.GetValue<long>(), c.Str("externalId"), c.Str("name"), c.Str("email"))).OrderBy(x => x.Item1).ToList();
        await h.Client.PostCsv(csv).ExpectAsync(HttpStatusCode.OK);
        var list = await h.Client.GetAsync("api/v1/contacts").ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(2, list["total"]!.GetValue<long>());
        var second = list["items"]!.AsArray()
            .Select(c => (c!["id"]!.GetValue<long>(), c.Str("externalId"), c.Str("name"), c.Str("email"))).OrderBy(x => x.Item1).ToList();
        Assert.Equal(first, second);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Reimporting_with_a_changed_name_updates_the_contact_with_that_external_id(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        await h.Client.PostCsv($"{Header}\ns1,student,Ann Lee,ann@school.example,,,,\n").ExpectAsync(HttpStatusCode.OK);
        await h.Client.PostCsv($"{Header}\ns1,student,Ann Lee-Smith,ann@school.example,,,,\n").ExpectAsync(HttpStatusCode.OK);
        var list = await h.Client.GetAsync("api/v1/contacts").ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("Ann Lee-Smith", Assert.Single(list["items"]!.AsArray())!.Str("name"));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_wrong_header_is_refused_naming_the_missing_and_unknown_columns(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var problem = await h.Client.PostCsv("external_id,name,e-mail\ns1,Ann,ann@school.example\n").ExpectAsync(HttpStatusCode.BadRequest);
        var detail = problem.Str("detail");
        Assert.Contains("role", detail);
        Assert.Contains("e-mail", detail);
        var list = await h.Client.GetAsync("api/v1/contacts").ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(0, list["total"]!.GetValue<long>());
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_file_that_is_not_utf8_is_refused_naming_the_line(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var bytes = Encoding.UTF8.GetBytes($"{Header}\ns1,student,Ann Lee,,,,,\n")
            .Concat(Encoding.Latin1.GetBytes("s2,student,Zoë Brontë,,,,,\n")).ToArray();
        var problem = await h.Client.PostCsv(bytes).ExpectAsync(HttpStatusCode.BadRequest);
        Assert.Contains("line 3", problem.Str("detail"));
        Assert.Contains("UTF-8", problem.Str("detail"));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_duplicate_external_id_in_one_file_rejects_the_later_row_naming_the_first_line(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var r = await h.Client.PostCsv($"{Header}\ns1,student,Ann Lee,,,,,\ns2,student,Bo Ray,,,,,\ns1,student,Ann Again,,,,,\n")
            .ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(2, r["imported"]!.GetValue<int>());
        var error = Assert.Single(r["errors"]!.AsArray());
        Assert.Equal(4, error!["line"]!.GetValue<int>());
        Assert.Equal("external_id", error.Str("column"));
        Assert.Contains("line 2", error.Str("message"));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Ten_megabytes_of_garbage_are_refused_with_a_clear_message(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var garbage = new byte[10 * 1024 * 1024];
        new Random(42).NextBytes(garbage);
        using var r = await h.Client.PostCsv(garbage);
        var body = await r.Content.ReadAsStringAsync();
        Assert.True((int)r.StatusCode is >= 400 and < 500, $"expected a 4xx, got {(int)r.StatusCode}: {body}");
        var problem = System.Text.Json.Nodes.JsonNode.Parse(body)!;
        Assert.False(string.IsNullOrWhiteSpace(problem.Str("detail")), body);
        Assert.DoesNotContain("   at ", body);
        var list = await h.Client.GetAsync("api/v1/contacts").ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(0, list["total"]!.GetValue<long>());
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_row_after_a_quoted_field_with_a_line_break_is_reported_on_its_own_line(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var r = await h.Client.PostCsv($"{Header}\ns1,student,\"Ann\nLee\",,,,,\ns2,teacher,Bo,,,,,\n").ExpectAsync(HttpStatusCode.OK);
        var error = Assert.Single(r["errors"]!.AsArray());
        Assert.Equal(4, error!["line"]!.GetValue<int>());
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task An_error_in_a_row_spanning_two_lines_names_the_line_where_the_row_starts(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var r = await h.Client.PostCsv($"{Header}\ns1,teacher,\"Ann\nLee\",,,,,\ns2,student,Bo,,,,,\n").ExpectAsync(HttpStatusCode.OK);
        var error = Assert.Single(r["errors"]!.AsArray());
        Assert.Equal(2, error!["line"]!.GetValue<int>());
    }
}

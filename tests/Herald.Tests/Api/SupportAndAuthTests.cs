using System.Net;

namespace Herald.Tests.Api;

/// <summary>Support resets addresses with an operator key; keys decide who sees what.</summary>
public class SupportAndAuthTests
{
    private static async Task<long> HardBouncedContactAsync(HeraldHost h, string email)
    {
        var c = await h.Client.AddContactAsync(email);
        var a = await h.Client.SendToAsync([c]);
        var d = (await h.Client.ReportAsync(a)).LineOf(c)["deliveryId"]!.GetValue<long>();
        await h.Client.PostJson("api/v1/events", new { deliveryId = d, status = "hard_bounce" }).ExpectAsync(HttpStatusCode.OK);
        return c;
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_support_reset_makes_the_address_usable_again_and_logs_who_and_why(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var c = await HardBouncedContactAsync(h, "ann@school.example");
        var r = await h.Operator.PostJson("api/v1/addresses/reset",
            new { address = "ann@School.example", by = "maria.support", why = "mailbox recreated, ticket 4711", school = h.School.Id }).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal([h.School.Id], r["reset"]!["schools"]!.AsArray().Select(s => s!.GetValue<long>()));
        var next = await h.Client.SendToAsync([c]);
        Assert.Equal("queued", (await h.Client.ReportAsync(next)).StatusOf(c));
        var support = Assert.Single((await h.Client.LogAsync(c)).Entries(), e => e.Str("source") == "support");
        Assert.Contains("maria.support", support!.Str("detail"));
        Assert.Contains("ticket 4711", support.Str("detail"));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task An_address_fails_and_resets_whatever_the_case_of_its_local_part(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        await HardBouncedContactAsync(h, "Pat.Smith@school.example");
        // The same mailbox, typed in another case on a second guardian's profile.
        var other = await h.Client.AddContactAsync("pat.smith@School.Example");
        var next = await h.Client.SendToAsync([other]);
        Assert.Equal("dropped", (await h.Client.ReportAsync(next)).StatusOf(other));

        await h.Operator.PostJson("api/v1/addresses/reset", new { address = "PAT.SMITH@school.example", by = "maria", why = "fixed", school = h.School.Id })
            .ExpectAsync(HttpStatusCode.OK);
        var after = await h.Client.SendToAsync([other]);
        Assert.Equal("queued", (await h.Client.ReportAsync(after)).StatusOf(other));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Resetting_an_address_that_is_not_blocked_is_not_found(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        await h.Operator.PostJson("api/v1/addresses/reset", new { address = "fine@school.example", by = "maria", why = "check", school = h.School.Id })
            .ExpectAsync(HttpStatusCode.NotFound);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_reset_without_who_and_why_is_refused(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        await HardBouncedContactAsync(h, "ann@school.example");
        var problem = await h.Operator.PostJson("api/v1/addresses/reset", new { address = "ann@school.example" }).ExpectAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]!["by"]);
        Assert.NotNull(problem["errors"]!["why"]);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_reset_without_a_school_is_refused_naming_school(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var c = await HardBouncedContactAsync(h, "ann@school.example");
        var problem = await h.Operator.PostJson("api/v1/addresses/reset", new { address = "ann@school.example", by = "maria", why = "fixed" })
            .ExpectAsync(HttpStatusCode.BadRequest);
        Assert.Contains("allSchools", problem["errors"]!["school"]![0]!.GetValue<string>());
        Assert.Equal("dropped", (await h.Client.ReportAsync(await h.Client.SendToAsync([c]))).StatusOf(c));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_reset_in_one_school_leaves_the_address_blocked_in_another(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var (other, otherClient) = h.AddSchoolWithKey("other-" + Guid.NewGuid().ToString("N")[..8]);
        var here = await HardBouncedContactAsync(h, "ann@school.example");
        var there = await otherClient.AddContactAsync("ann@school.example");
        var d = (await otherClient.ReportAsync(await otherClient.SendToAsync([there]))).LineOf(there)["deliveryId"]!.GetValue<long>();
        await otherClient.PostJson("api/v1/events", new { deliveryId = d, status = "hard_bounce" }).ExpectAsync(HttpStatusCode.OK);

        var r = await h.Operator.PostJson("api/v1/addresses/reset", new { address = "ann@school.example", by = "maria", why = "fixed", school = h.School.Id })
            .ExpectAsync(HttpStatusCode.OK);
        Assert.Equal([h.School.Id], r["reset"]!["schools"]!.AsArray().Select(s => s!.GetValue<long>()));
        Assert.Equal("queued", (await h.Client.ReportAsync(await h.Client.SendToAsync([here]))).StatusOf(here));
        Assert.Equal("dropped", (await otherClient.ReportAsync(await otherClient.SendToAsync([there]))).StatusOf(there));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task An_all_schools_reset_lifts_the_address_in_every_school_and_the_log_says_so(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var (other, otherClient) = h.AddSchoolWithKey("other-" + Guid.NewGuid().ToString("N")[..8]);
        var here = await HardBouncedContactAsync(h, "ann@school.example");
        var there = await otherClient.AddContactAsync("ann@school.example");
        var d = (await otherClient.ReportAsync(await otherClient.SendToAsync([there]))).LineOf(there)["deliveryId"]!.GetValue<long>();
        await otherClient.PostJson("api/v1/events", new { deliveryId = d, status = "hard_bounce" }).ExpectAsync(HttpStatusCode.OK);

        var r = await h.Operator.PostJson("api/v1/addresses/reset", new { address = "ann@school.example", by = "maria", why = "fixed", allSchools = true })
            .ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(new[] { h.School.Id, other.Id }.Order(), r["reset"]!["schools"]!.AsArray().Select(s => s!.GetValue<long>()).Order());
        Assert.Equal("queued", (await h.Client.ReportAsync(await h.Client.SendToAsync([here]))).StatusOf(here));
        Assert.Equal("queued", (await otherClient.ReportAsync(await otherClient.SendToAsync([there]))).StatusOf(there));
        foreach (var (client, contact) in new[] { (h.Client, here), (otherClient, there) })
        {
            var support = Assert.Single((await client.LogAsync(contact)).Entries(), e => e.Str("source") == "support");
            Assert.Contains("all-schools reset", support!.Str("detail"));
        }
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_reset_naming_a_school_and_all_schools_is_refused(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        await HardBouncedContactAsync(h, "ann@school.example");
        var problem = await h.Operator.PostJson("api/v1/addresses/reset",
            new { address = "ann@school.example", by = "maria", why = "fixed", school = h.School.Id, allSchools = true }).ExpectAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]!["allSchools"]);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_school_key_cannot_reset_an_address(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var c = await HardBouncedContactAsync(h, "ann@school.example");
        await h.Client.PostJson("api/v1/addresses/reset", new { address = "ann@school.example", by = "me", why = "because" })
            .ExpectAsync(HttpStatusCode.Forbidden);
        var next = await h.Client.SendToAsync([c]);
        Assert.Equal("dropped", (await h.Client.ReportAsync(next)).StatusOf(c));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_call_without_a_key_is_unauthorized(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var problem = await h.CreateClient(null).GetAsync("api/v1/contacts").ExpectAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("API key", problem.Str("detail"));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_call_with_a_wrong_key_is_unauthorized(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        await h.CreateClient(h.SchoolKey + "x").GetAsync("api/v1/contacts").ExpectAsync(HttpStatusCode.Unauthorized);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task An_operator_key_must_name_the_school(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var c = await h.Client.AddContactAsync("ann@school.example");
        await h.Operator.GetAsync("api/v1/contacts").ExpectAsync(HttpStatusCode.BadRequest);
        var list = await h.Operator.GetAsync($"api/v1/contacts?school={h.School.Id}").ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(c, Assert.Single(list["items"]!.AsArray())!["id"]!.GetValue<long>());
    }
}

using System.Net;
using System.Net.Http.Headers;
using Herald.Dispatch;

namespace Herald.Tests.Api;

/// <summary>The dispatcher re-checks addresses at dispatch time; the import also takes a multipart upload.</summary>
public class DispatcherTests
{
    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_queued_delivery_to_an_address_that_failed_since_the_send_is_dropped_not_sent(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var c = await h.Client.AddContactAsync("ann@school.example");
        var first = await h.Client.SendToAsync([c]);
        var second = await h.Client.SendToAsync([c]);
        var d1 = (await h.Client.ReportAsync(first)).LineOf(c)["deliveryId"]!.GetValue<long>();
        await h.Client.PostJson("api/v1/events", new { deliveryId = d1, status = "hard_bounce" }).ExpectAsync(HttpStatusCode.OK);
        Assert.True(await h.Service<Dispatcher>().RunOnceAsync(CancellationToken.None) >= 1);
        var report = await h.Client.ReportAsync(second);
        Assert.Equal("dropped", report.StatusOf(c));
        Assert.Equal((0, 1), (report.Count("queued"), report.Count("dropped")));
        var d2 = report.LineOf(c)["deliveryId"]!.GetValue<long>();
        Assert.False(File.Exists(Path.Combine(h.SandboxEmailFolder, $"{d2}-1.eml")), "a dropped delivery was written to the sandbox");
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_csv_uploaded_as_a_multipart_form_is_imported(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent("external_id,role,name\ns1,student,Ann\n"u8.ToArray());
        file.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        form.Add(file, "file", "contacts.csv");
        var r = await h.Client.PostAsync("api/v1/contacts/import", form).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(1, r["imported"]!.GetValue<int>());
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_multipart_form_without_a_file_is_refused_naming_the_file(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        using var form = new MultipartFormDataContent { { new StringContent("s1,student,Ann"), "text" } };
        var problem = await h.Client.PostAsync("api/v1/contacts/import", form).ExpectAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]!["file"]);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task An_unknown_field_in_a_contact_is_refused(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        using var r = await h.Client.PostRaw("api/v1/contacts", """{"externalId":"s1","role":"student","name":"Ann","optOut":["trips"]}""");
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal(0, (await h.Client.GetAsync("api/v1/contacts").ExpectAsync(HttpStatusCode.OK))["total"]!.GetValue<long>());
    }
}

using System.Net;

namespace Herald.Tests.Api;

/// <summary>Integrators discover the API from its OpenAPI document.</summary>
public class OpenApiTests
{
    [Fact]
    public async Task The_openapi_document_lists_the_endpoints()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        var doc = await h.Operator.GetAsync("openapi/v1.json").ExpectAsync(HttpStatusCode.OK);
        var paths = doc["paths"]!.AsObject().Select(p => p.Key).ToList();
        foreach (var expected in new[]
                 {
                     "/api/v1/contacts", "/api/v1/contacts/{id}", "/api/v1/contacts/import", "/api/v1/contacts/{id}/log",
                     "/api/v1/announcements", "/api/v1/announcements/{id}/send", "/api/v1/announcements/{id}/report", "/api/v1/announcements/{id}/reach",
                     "/api/v1/events", "/api/v1/addresses/reset", "/health",
                 })
            Assert.True(paths.Contains(expected), $"{expected} is not in the OpenAPI document; it lists: {string.Join(", ", paths)}");
    }

    [Fact]
    public async Task The_openapi_document_says_which_operations_need_a_key()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", dispatcher: false);
        var doc = await h.Operator.GetAsync("openapi/v1.json").ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("bearer", doc["components"]!["securitySchemes"]!["apiKey"].Str("scheme"));
        Assert.NotNull(doc["security"]![0]!["apiKey"]);
        // The public health and the providers' callbacks are marked as needing none; the API's operations inherit the key.
        Assert.Empty(doc["paths"]!["/health"]!["get"]!["security"]!.AsArray());
        Assert.Empty(doc["paths"]!["/api/v1/sms/twilio/status"]!["post"]!["security"]!.AsArray());
        Assert.Null(doc["paths"]!["/api/v1/contacts"]!["get"]!["security"]);
    }
}

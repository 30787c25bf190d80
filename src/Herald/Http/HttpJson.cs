using System.Text.Json;
using System.Text.Json.Serialization;

namespace Herald.Http;

/// <summary>How Herald reads and writes JSON, in the API and in the CLI's <c>--json</c> output.</summary>
public static class HttpJson
{
    public static void Configure(JsonSerializerOptions o)
    {
        // Unknown fields are an error, not silently dropped: a typo in "essential" must not send to opted-out contacts.
        o.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        o.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        o.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
    }
}

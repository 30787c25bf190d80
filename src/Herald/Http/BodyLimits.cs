using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;

namespace Herald.Http;

/// <summary>A route's largest request body, in bytes (endpoint metadata read by <see cref="BodyLimits"/>).</summary>
public sealed record BodyLimit(long Bytes) : IRequestSizeLimitMetadata
{
    long? IRequestSizeLimitMetadata.MaxRequestBodySize => Bytes;
}

/// <summary>
/// Per-route request body limits. Kestrel's own limit is one number for the whole server (30 MB by default), so every
/// JSON route would parse up to that; here each endpoint gets its own limit (its <see cref="BodyLimit"/>, else
/// <see cref="Json"/>). A declared Content-Length over the limit is answered 413 before anything is read; a chunked
/// body is cut off by Kestrel when it passes the limit (and the exception handler answers 413).
/// </summary>
public static class BodyLimits
{
    /// <summary>JSON API routes: the longest announcement (two 1,000,000-character bodies) is well under this, but a
    /// body that size is not a school's announcement; 1 MB covers every real request with room.</summary>
    public const long Json = 1024 * 1024;

    /// <summary>Provider callbacks (Twilio's status form, Kannel's DLR): a few hundred bytes each in practice.</summary>
    public const long Callback = 64 * 1024;

    /// <summary>The largest limit any route has: Kestrel's server-wide limit is set to this, so a route whose limit
    /// is forgotten still cannot take more. The CSV import's file limit (20 MB) plus room for the multipart framing.</summary>
    public const long Largest = 21 * 1024 * 1024;

    /// <summary>Sets this request's limit from its endpoint, refusing a declared length over it without reading.</summary>
    public static IApplicationBuilder UseBodyLimits(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        var limit = LimitOf(http.GetEndpoint());
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature) feature.MaxRequestBodySize = limit;
        if (http.Request.ContentLength > limit)
        {
            await TooLarge(limit).ExecuteAsync(http);
            return;
        }
        await next(http);
        // A chunked body cut off at the limit while an endpoint read it: the framework sets 413 and writes nothing.
        if (http.Response.StatusCode == StatusCodes.Status413PayloadTooLarge && !http.Response.HasStarted)
            await TooLarge(limit).ExecuteAsync(http);
    });

    /// <summary>The limit of an endpoint (the default JSON limit when it declares none, or when no route matched).</summary>
    public static long LimitOf(Endpoint? endpoint) =>
        endpoint?.Metadata.GetMetadata<IRequestSizeLimitMetadata>()?.MaxRequestBodySize ?? Json;

    public static IResult TooLarge(long limit) =>
        TypedResults.Problem($"the request body is larger than this route's limit of {limit} bytes", statusCode: 413, title: "Too large",
            extensions: new Dictionary<string, object?> { ["limit"] = limit });

    /// <summary>Gives the endpoint its own body limit.</summary>
    public static TBuilder WithBodyLimit<TBuilder>(this TBuilder builder, long bytes) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new BodyLimit(bytes));
}

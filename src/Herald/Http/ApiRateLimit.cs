using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace Herald.Http;

/// <summary><c>Herald:Api:RateLimit</c>: a token bucket per API key. The defaults are far above what a school's
/// product does (one import or one send is one request; a contact sync of 600 calls in a burst, then 50 a second,
/// goes through); they are there so that one runaway integration cannot starve the others.</summary>
public sealed class RateLimitOptions
{
    /// <summary>Turn the limit off (e.g. behind a gateway that limits already). Default on.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Requests a key may make at once before waiting. Default 600.</summary>
    [Range(1, 1_000_000)] public int Burst { get; set; } = 600;

    /// <summary>Requests given back to the key every <see cref="RefillPeriod"/>. Default 50.</summary>
    [Range(1, 1_000_000)] public int Refill { get; set; } = 50;

    /// <summary>Default one second.</summary>
    public TimeSpan RefillPeriod { get; set; } = TimeSpan.FromSeconds(1);

    public IEnumerable<string> Problems()
    {
        if (RefillPeriod <= TimeSpan.Zero || RefillPeriod > TimeSpan.FromDays(1))
            yield return "Herald:Api:RateLimit:RefillPeriod: between 00:00:00.001 and 1.00:00:00";
    }
}

/// <summary>The API's rate limit: ASP.NET Core's rate limiter, partitioned by the caller's key.</summary>
public static class ApiRateLimit
{
    public const string Policy = "api";

    public static IServiceCollection AddApiRateLimit(this IServiceCollection services, RateLimitOptions options)
    {
        services.AddRateLimiter(r =>
        {
            r.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            r.AddPolicy(Policy, http =>
            {
                // The limiter runs after authorization, so every request that reaches it has a caller; the key's id is the
                // partition (two keys of one school have their own buckets: rotating does not halve the allowance).
                var key = http.FindCaller()?.KeyId ?? 0;
                return !options.Enabled
                    ? RateLimitPartition.GetNoLimiter(key)
                    : RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = options.Burst,
                        TokensPerPeriod = options.Refill,
                        ReplenishmentPeriod = options.RefillPeriod,
                        QueueLimit = 0,
                        AutoReplenishment = true,
                    });
            });
            r.OnRejected = async (ctx, token) =>
            {
                var wait = ctx.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : options.RefillPeriod;
                var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
                ctx.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                await TypedResults.Problem($"too many requests for this API key; retry after {seconds} s (Herald:Api:RateLimit)",
                    statusCode: 429, title: "Too many requests").ExecuteAsync(ctx.HttpContext);
            };
        });
        return services;
    }
}

/// <summary><c>Herald:Api</c>: settings of the HTTP API itself.</summary>
public sealed class ApiOptions
{
    public RateLimitOptions RateLimit { get; set; } = new();
}

using Herald.Email;

namespace Herald.Bounces;

/// <summary>Registers bounce mail processing; <see cref="AddBounceMailbox"/> also reads the bounce mailbox when one is
/// configured (<c>Herald:Email:Bounces:Imap:Host</c>).</summary>
public static class BouncesServices
{
    public static IServiceCollection AddBounces(this IServiceCollection services)
    {
        services.AddSingleton<BounceMailProcessor>();
        return services;
    }

    public static IServiceCollection AddBounceMailbox(this IServiceCollection services, EmailOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Bounces.Imap.Host)) return services;
        services.AddSingleton<BounceMailbox>();
        return services.AddHostedService<BounceMailbox>(sp => sp.GetRequiredService<BounceMailbox>());
    }
}

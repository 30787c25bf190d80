using Herald.Email;
using Herald.Sandbox;
using Herald.Sms;

namespace Herald.Hosting;

/// <summary>Registers the transports chosen by <c>Herald:Transport:Email</c> and <c>Herald:Transport:Sms</c>: the one
/// place that maps each mode to its implementation.</summary>
public static class TransportServices
{
    public static IServiceCollection AddEmailTransport(this IServiceCollection services, HeraldOptions options)
    {
        if (options.Transport.Email == EmailTransportMode.Smtp)
        {
            // The DKIM key is read now, so a bad key stops start-up with its setting named rather than failing every send.
            var dkim = string.IsNullOrWhiteSpace(options.Email.Dkim.PrivateKeyFile) ? null : new DkimSigning(options.Email.Dkim);
            services.AddSingleton<IEmailTransport>(sp => new SmtpTransport(options.Email, dkim,
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<SmtpTransport>>()));
        }
        else
            services.AddSingleton<IEmailTransport>(sp => sp.GetRequiredService<SandboxTransport>());
        return services;
    }

    public static IServiceCollection AddSmsTransport(this IServiceCollection services, HeraldOptions options)
    {
        services.AddSingleton<ISmsTransport>(sp =>
        {
            ISmsTransport gateway = options.Transport.Sms switch
            {
                // Both gateways answer a submit at once (they queue); a slow answer means trouble, so retry later.
                SmsTransportMode.Kannel => new KannelTransport(Client(options.Sms), options.Sms.Kannel, options.Sms.Connections),
                SmsTransportMode.Twilio => new TwilioTransport(Client(options.Sms), options.Sms.Twilio, options.Sms.Connections),
                // The sandbox appends to one file under a lock: sending it in parallel would gain nothing.
                _ => sp.GetRequiredService<SandboxTransport>(),
            };
            return options.Sms.MaxPerSecond > 0
                ? new RateLimitedSms(gateway, options.Sms.MaxPerSecond, sp.GetRequiredService<TimeProvider>())
                : gateway;
        });
        return services;
    }

    /// <summary>One connection per submission in flight, kept open between them, so parallel sends do not each
    /// pay for a new connection nor open more than the gateway was promised.</summary>
    private static HttpClient Client(SmsOptions o) =>
        new(new SocketsHttpHandler { MaxConnectionsPerServer = o.Connections, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        { Timeout = o.Timeout };
}

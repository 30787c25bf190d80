using Herald.Dispatch;
using Herald.Hosting;
using Herald.Sandbox;

namespace Herald.Sms;

/// <summary>Registers the SMS transport chosen by <c>Herald:Transport:Sms</c>, behind the throughput limit when one is set.</summary>
public static class SmsServices
{
    public static IServiceCollection AddSmsTransport(this IServiceCollection services, HeraldOptions options)
    {
        services.AddSingleton<ISmsTransport>(sp =>
        {
            ISmsTransport gateway = options.Transport.Sms switch
            {
                // Both gateways answer a submit at once (they queue); a slow answer means trouble, so retry later.
                "kannel" => new KannelTransport(Client(options.Sms), options.Sms.Kannel, options.Sms.Connections),
                "twilio" => new TwilioTransport(Client(options.Sms), options.Sms.Twilio, options.Sms.Connections),
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

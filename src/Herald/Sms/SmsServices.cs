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
                "kannel" => new KannelTransport(new HttpClient { Timeout = TimeSpan.FromSeconds(30) }, options.Sms.Kannel),
                "twilio" => new TwilioTransport(new HttpClient { Timeout = TimeSpan.FromSeconds(30) }, options.Sms.Twilio),
                _ => sp.GetRequiredService<SandboxTransport>(),
            };
            return options.Sms.MaxPerSecond > 0
                ? new RateLimitedSms(gateway, options.Sms.MaxPerSecond, sp.GetRequiredService<TimeProvider>())
                : gateway;
        });
        return services;
    }
}

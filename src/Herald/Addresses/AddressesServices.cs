namespace Herald.Addresses;

/// <summary>Registers this capability's services: Support's resets of failed and suppressed addresses, and the support console's reads.</summary>
public static class AddressesServices
{
    public static IServiceCollection AddAddresses(this IServiceCollection services)
    {
        services.AddSingleton<AddressReset>();
        services.AddSingleton<AddressResend>();
        services.AddSingleton<Pages.SupportQueries>();
        return services;
    }
}

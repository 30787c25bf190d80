namespace Herald.Deliveries;

/// <summary>Registers the delivery ledger and the signal that wakes the dispatcher when it has new work.</summary>
public static class DeliveriesServices
{
    public static IServiceCollection AddDeliveries(this IServiceCollection services, LedgerOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton<DeliveryLedger>();
        services.AddSingleton<DispatchSignal>();
        return services;
    }
}

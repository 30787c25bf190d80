namespace Herald.Dispatch;

/// <summary>Registers the dispatcher (given its settings); <see cref="AddDispatchWorker"/> also runs it in the background.</summary>
public static class DispatchServices
{
    public static IServiceCollection AddDispatch(this IServiceCollection services, DispatchOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton<Dispatcher>();
        return services;
    }

    /// <summary>Runs the dispatcher in this process (the web host; the CLI only registers it).</summary>
    public static IServiceCollection AddDispatchWorker(this IServiceCollection services) =>
        services.AddHostedService<Dispatcher>(sp => sp.GetRequiredService<Dispatcher>());
}

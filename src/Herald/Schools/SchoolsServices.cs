namespace Herald.Schools;

/// <summary>Registers this capability's services: Schools and their API keys.</summary>
public static class SchoolsServices
{
    public static IServiceCollection AddSchools(this IServiceCollection services)
    {
        services.AddSingleton<SchoolStore>();
        return services;
    }
}

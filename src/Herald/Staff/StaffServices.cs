namespace Herald.Staff;

/// <summary>Registers this capability's services: the users who sign in to Herald's pages.</summary>
public static class StaffServices
{
    public static IServiceCollection AddStaff(this IServiceCollection services)
    {
        services.AddSingleton<StaffUsers>();
        return services;
    }
}

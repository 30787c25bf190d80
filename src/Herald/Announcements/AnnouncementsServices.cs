namespace Herald.Announcements;

/// <summary>Registers this capability's services: Announcements: drafts, sending, resending.</summary>
public static class AnnouncementsServices
{
    public static IServiceCollection AddAnnouncements(this IServiceCollection services)
    {
        services.AddSingleton<AnnouncementStore>();
        services.AddSingleton<AnnouncementDrafts>();
        services.AddSingleton<AnnouncementSender>();
        services.AddSingleton<Resender>();
        services.AddSingleton<FallbackPlanner>();
        services.AddSingleton<Herald.Deliveries.IFallbackPlanner>(sp => sp.GetRequiredService<FallbackPlanner>());
        services.AddSingleton<ReachCheck>();
        return services;
    }
}

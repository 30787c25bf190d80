namespace Herald.Announcements;

/// <summary>Registers this capability's services: Announcements: drafts, sending, resending.</summary>
public static class AnnouncementsServices
{
    public static IServiceCollection AddAnnouncements(this IServiceCollection services)
    {
        services.AddSingleton<AnnouncementStore>();
        services.AddSingleton<AnnouncementSender>();
        services.AddSingleton<Resender>();
        return services;
    }
}

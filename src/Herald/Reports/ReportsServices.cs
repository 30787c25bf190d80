namespace Herald.Reports;

/// <summary>Registers this capability's services: The statistics report, the full log and the stuck-queue alert.</summary>
public static class ReportsServices
{
    public static IServiceCollection AddReports(this IServiceCollection services)
    {
        services.AddSingleton<ReportQueries>();
        return services;
    }
}

namespace Herald.Contacts;

/// <summary>Registers this capability's services: Contacts and their CSV import.</summary>
public static class ContactsServices
{
    public static IServiceCollection AddContacts(this IServiceCollection services)
    {
        services.AddSingleton<ContactStore>();
        services.AddSingleton<CsvImport>();
        return services;
    }
}

namespace Herald.Contacts;

/// <summary>Registers this capability's services: Contacts, their CSV import, and recipients' unsubscribes.</summary>
public static class ContactsServices
{
    public static IServiceCollection AddContacts(this IServiceCollection services)
    {
        services.AddSingleton<ContactStore>();
        services.AddSingleton<CsvImport>();
        services.AddSingleton<Herald.Email.UnsubscribeTokens>();
        services.AddSingleton<Unsubscriber>();
        return services;
    }
}

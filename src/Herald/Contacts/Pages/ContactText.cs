namespace Herald.Contacts.Pages;

/// <summary>The strings of the contacts list and the contact page, in one catalogue (ContactText.es.resx). English is
/// the key. Status names come from the report's catalogue (<see cref="Herald.Reports.Pages.ReportWords"/>).</summary>
public sealed class ContactText;

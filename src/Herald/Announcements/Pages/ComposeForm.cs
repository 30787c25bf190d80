using Herald.Contacts;
using Herald.Http;

namespace Herald.Announcements.Pages;

/// <summary>
/// The composer's form exactly as typed: every field is kept as text so that a refused form comes back with everything
/// in it, and only <see cref="ToInput"/> turns it into the API's <see cref="AnnouncementInput"/>, which
/// <see cref="AnnouncementDrafts"/> then judges as it judges the API's.
/// </summary>
/// <param name="Audience"><c>all</c>, <c>groups</c> or <c>contacts</c>: which of the audience fields counts.</param>
/// <param name="Groups">Group names, separated by commas, spaces or lines.</param>
/// <param name="Contacts">Contacts by external id or Herald id, separated by commas, spaces or lines.</param>
public sealed record ComposeForm(string Subject, string Text, string Html, string SmsText, IReadOnlyList<string> Channels, string Category,
    string Audience, string Groups, string Contacts, string Sender, bool Essential)
{
    /// <summary>A new announcement: email, the general category, chosen groups, the school's own sender.</summary>
    public static readonly ComposeForm Empty = new("", "", "", "", ["email"], "general", "groups", "", "", "school", false);

    public static ComposeForm Read(IFormCollection f) => new(
        f["subject"].ToString(), f["text"].ToString(), f["html"].ToString(), f["smsText"].ToString(),
        f["channels"].Where(c => c is not null).Select(c => c!).ToList(), f["category"].ToString(),
        f["audience"].ToString() is { Length: > 0 } a ? a : "groups", f["groups"].ToString(), f["contacts"].ToString(),
        f["sender"].ToString(), f["essential"] == "yes");

    /// <summary>Names in a list typed by a person: commas, semicolons, spaces and new lines all separate.</summary>
    public static List<string> Split(string typed) =>
        typed.Split([',', ';', ' ', '\t', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToList();

    /// <summary>The API's input, and the problems of the audience fields that only the page has (an empty list, a contact
    /// nobody has; the input then has no audience). A contact is looked up by external id first (what the school's own
    /// system calls them), then by id.</summary>
    public (AnnouncementInput Input, List<FieldProblem> Problems) ToInput(long schoolId, ContactStore contacts)
    {
        var problems = new List<FieldProblem>();
        Audience? audience = null;
        switch (Audience)
        {
            case "all":
                audience = new(All: true);
                break;
            case "groups":
                var groups = Split(Groups);
                if (groups.Count == 0) problems.Add(new("audience.groups", "name at least one group"));
                else audience = new(Groups: groups);
                break;
            case "contacts":
                var typed = Split(Contacts);
                if (typed.Count > AnnouncementRules.MaxContactIds)
                {
                    problems.Add(new("audience.contactIds", $"has {typed.Count} contacts; the limit is {AnnouncementRules.MaxContactIds} (use groups or everyone for more)"));
                    break;
                }
                var byExternal = contacts.IdsByExternalId(schoolId, typed);
                var ids = new List<long>();
                foreach (var t in typed)
                {
                    if (byExternal.TryGetValue(t, out var id)) ids.Add(id);
                    else if (long.TryParse(t, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out id)) ids.Add(id);
                    else problems.Add(new("audience.contactIds", $"no contact has the external id '{t}'"));
                }
                if (typed.Count == 0) problems.Add(new("audience.contactIds", "name at least one contact"));
                else audience = new(ContactIds: ids.Distinct().ToList());
                break;
            default:
                problems.Add(new("audience", "choose everyone, groups or contacts"));
                break;
        }
        var input = new AnnouncementInput(Subject, Blank(Text), Blank(Html), Blank(SmsText), Channels, Category, Essential,
            problems.Count == 0 ? audience : null, Sender is "school" or "default" ? Sender : Blank(Sender));
        return (input, problems);
    }

    /// <summary>An empty box is no body at all (the API's null), not an empty one.</summary>
    private static string? Blank(string s) => string.IsNullOrWhiteSpace(s) ? null : s;

    /// <summary>The text an SMS will carry (its own text, else the plain-text body), for the part count.</summary>
    public string? SmsBody => Blank(SmsText) ?? Blank(Text);

    /// <summary>Which box a problem belongs next to (the API's field names; the audience's by the kind chosen).</summary>
    public string FieldOf(FieldProblem p) => p.Field switch
    {
        "subject" or "text" or "html" or "smsText" or "channels" or "category" or "sender" => p.Field,
        "audience.groups" => "groups",
        "audience.contactIds" => "contacts",
        _ => Audience switch { "groups" => "groups", "contacts" => "contacts", _ => "audience" },
    };
}

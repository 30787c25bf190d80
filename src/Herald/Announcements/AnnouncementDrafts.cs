using Herald.Contacts;
using Herald.Http;
using Herald.Sms;

namespace Herald.Announcements;

/// <summary>
/// The one way a draft is made, for the API and the composer page alike: the same rules (<see cref="AnnouncementRules"/>,
/// with the SMS part limit of this installation), the same check that every contact named is the school's, then
/// <see cref="AnnouncementStore.Create"/>. The page and the API therefore refuse the same drafts for the same reasons.
/// </summary>
public sealed class AnnouncementDrafts(AnnouncementStore store, ContactStore contacts, SmsOptions sms)
{
    /// <summary>The problems with a draft for this school, field by field (the API's field names); empty when it is fine.</summary>
    public List<FieldProblem> Validate(long schoolId, AnnouncementInput input)
    {
        var problems = AnnouncementRules.Validate(input, sms.MaxParts);
        // Only a well-formed audience is looked up: a flood of ids was already refused without touching the database.
        if (problems.Count == 0 && input.Audience!.ContactIds is { Count: > 0 } ids && contacts.FirstMissing(schoolId, ids) is { } missing)
            problems.Add(new("audience.contactIds", $"contact {missing} does not exist"));
        return problems;
    }

    /// <summary>Creates the draft, or answers why not (and creates nothing).</summary>
    /// <param name="keyId">The API key that creates it; null from the pages and the CLI.</param>
    public (Announcement? Draft, IReadOnlyList<FieldProblem> Problems) Create(long schoolId, AnnouncementInput input, long? keyId = null)
    {
        var problems = Validate(schoolId, input);
        return problems.Count > 0 ? (null, problems) : (store.Create(schoolId, input, keyId), problems);
    }

    /// <summary>The most SMS parts a text may need here (<c>Herald:Sms:Kannel:MaxParts</c>), for the composer's count.</summary>
    public int SmsMaxParts => sms.MaxParts;
}

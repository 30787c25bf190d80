using Herald.Core.Digests;

namespace Herald.Schools;

/// <summary>When a held delivery's digest goes out: the contact's choice (stored as <c>digest</c> 0/1 and their own
/// <c>digest_schedule</c>) on the school's clock.</summary>
public static class DigestDue
{
    /// <summary>The contact's choice as stored.</summary>
    public static DigestChoice Choice(long digest, string? schedule) =>
        digest == 0 ? DigestChoice.None
        : schedule is not null && DigestSchedule.TryParse(schedule, out _) is { } own ? new DigestChoice(own, false)
        : DigestChoice.Default;

    /// <summary>The next digest after <paramref name="now"/>; for a contact marked digest whose choice resolves to none
    /// (it cannot, the school always has a default), at once.</summary>
    public static DateTimeOffset Of(School school, long digest, string? schedule, DateTimeOffset now) =>
        school.DigestDue(Choice(digest, schedule), now) ?? now;

    /// <summary>What the log adds to a held decision: when its digest goes out, in UTC and the school's time.</summary>
    public static string Said(School school, DateTimeOffset? due) => due is { } d
        ? $"; due with the digest of {TimeZoneInfo.ConvertTime(d, school.Zone):yyyy-MM-dd HH:mm} {school.TimeZone} ({d.UtcDateTime:yyyy-MM-dd HH:mm}Z)"
        : "";
}

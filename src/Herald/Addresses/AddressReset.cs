using Dapper;
using Herald.Core.Deliveries;
using Herald.Deliveries;
using Herald.Storage;

namespace Herald.Addresses;

/// <summary>
/// Support's reset of a failed or suppressed address (or number): it can be used again, and the reset is written to
/// the address history and to the full log of every contact with that address, with who and why.
/// </summary>
public sealed class AddressReset(Database db, DeliveryLedger ledger)
{
    /// <summary>The address as deliveries store it: a normalised email, or an E.164 number (support may type
    /// "+44 7400 123456"; national numbers have no region here and are kept as typed).</summary>
    public static string Normalise(string raw, Channel channel) => channel == Channel.Email
        ? Core.Sending.AddressKey.Of(channel, Core.Sending.EmailAddress.Normalise(raw, out _) ?? raw)
        : Sms.MobileNumbers.Normalise(raw.Trim(), "ZZ", out _) ?? raw.Trim();

    /// <param name="schoolId">The school whose state is lifted; null only with <paramref name="allSchools"/>.</param>
    /// <param name="allSchools">Lift it in every school that marked it. Said explicitly, because a reset that forgot its
    /// school used to lift the address everywhere, overruling other schools' bounces and complaints.</param>
    /// <param name="actor">The API key (its name) that asked, kept in each contact's log.</param>
    /// <param name="keyId">The API key (its id) that asked, kept in the address history and each contact's log; null from the CLI.</param>
    public ResetResult Reset(string address, Channel channel, string by, string why, long? schoolId, bool allSchools, string? actor = null, long? keyId = null)
    {
        if ((schoolId is null) != allSchools)
            throw new ArgumentException("a reset names its school, or says it is for all schools (not both, not neither)");
        return ledger.ResetAddress(address, channel, by, why, schoolId, actor, keyId);
    }

    /// <summary>The current state of an address in each school that marked it.</summary>
    public IReadOnlyList<(long SchoolId, string State, string? Reason, DateTimeOffset Since)> States(string address, Channel channel)
    {
        using var c = db.Open();
        return c.Query<(long, string, string?, long)>("SELECT school_id, state, reason, since FROM address_states WHERE channel = @ch AND address = @address",
            new { ch = channel.Name(), address }).Select(x => (x.Item1, x.Item2, x.Item3, DbTime.At(x.Item4))).ToList();
    }
}

/// <summary>After a reset: resend, in one step, the announcements that were dropped for the address.</summary>
public sealed class AddressResend(Announcements.Resender resender, Announcements.AnnouncementStore announcements, Schools.SchoolStore schools)
{
    /// <param name="keyId">The API key that asked for the reset (null from the CLI), recorded on the resends.</param>
    public IReadOnlyList<Announcements.ResendResult> ResendDropped(ResetResult reset, Channel channel, int days, string by, long? keyId = null)
    {
        var results = new List<Announcements.ResendResult>();
        foreach (var schoolId in reset.Schools)
        {
            var school = schools.Get(schoolId)!;
            foreach (var group in resender.DroppedFor(schoolId, channel, reset.Address, days).GroupBy(x => x.AnnouncementId))
            {
                var a = announcements.Get(schoolId, group.Key)!;
                results.Add(resender.Resend(school, a, new Announcements.ResendInput(null, group.Select(x => x.ContactId).Distinct().ToList(),
                    [channel.Name()], false, false, by), null, keyId));
            }
        }
        return results;
    }
}

using System.Data.Common;
using Dapper;
using Herald.Core.Deliveries;
using Herald.Core.Sending;
using Herald.Schools;
using Herald.Sms;

namespace Herald.Announcements;

/// <summary>One recipient's decision on one channel, with the address it was made for.</summary>
/// <param name="Address">The normalised address, or the raw profile value when it is not usable (kept for the report).</param>
public sealed record RecipientDecision(Decision Decision, string? Address);

/// <summary>
/// The facts a send decision needs for one announcement (opt-outs of its category, the school's failed and suppressed
/// addresses), read once inside the caller's transaction; shared by the first send and by resends so both decide alike.
/// </summary>
public sealed class Decider
{
    private readonly School _school;
    private readonly Announcement _announcement;
    private readonly ILookup<long, string?> _optOuts;
    private readonly HashSet<(string, string)> _blocked;

    public Decider(DbConnection c, DbTransaction tx, School school, Announcement announcement)
    {
        (_school, _announcement) = (school, announcement);
        _optOuts = c.Query<(long Id, string? Ch)>(
                "SELECT o.contact_id, o.channel FROM contact_opt_outs o JOIN contacts c ON c.id = o.contact_id WHERE c.school_id = @s AND o.category = @cat",
                new { s = school.Id, cat = announcement.Category }, tx)
            .ToLookup(x => x.Id, x => x.Ch);
        _blocked = c.Query<(string Ch, string Addr)>("SELECT channel, address FROM address_states WHERE school_id = @s", new { s = school.Id }, tx)
            .Select(x => (x.Ch, AddressKey.Of(x.Ch, x.Addr))).ToHashSet();
    }

    /// <summary>Decides from the contact's profile as it is now.</summary>
    public RecipientDecision Decide(Channel channel, long contactId, string? email, string? mobile, bool digest)
    {
        var ch = channel.Name();
        var address = channel == Channel.Email
            ? EmailAddress.Normalise(email, out _)
            : MobileNumbers.Normalise(mobile, _school.DefaultRegion, out _);
        var decision = SendDecision.Decide(new RecipientFacts(channel, address,
            _optOuts[contactId].Any(x => x is null || x == ch), digest,
            address is not null && _blocked.Contains((ch, AddressKey.Of(channel, address))), _announcement.Essential));
        return new(decision, address ?? (channel == Channel.Email ? email : mobile));
    }
}

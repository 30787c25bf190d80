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

/// <summary>A recipient's fallback after its delivery on <paramref name="From"/> could not start: the plan (what the log
/// says, whether it is sent) and, when sent, the decision on the fallback channel.</summary>
public sealed record PlannedFallbackOf(Channel From, FallbackPlan Plan, RecipientDecision? Target);

/// <summary>Everything a send decides for one recipient: one decision per channel of the announcement, then the
/// fallbacks of an essential announcement. The send and the reach check both use it, so they cannot disagree.</summary>
public sealed record RecipientPlan(IReadOnlyList<(Channel Channel, RecipientDecision Decision)> Decisions, IReadOnlyList<PlannedFallbackOf> Fallbacks);

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

    /// <summary>Reads the facts for the whole school (a send, a resend, a reach check); only reads, so a read-only
    /// transaction (a snapshot) will do.</summary>
    public Decider(DbConnection c, DbTransaction tx, School school, Announcement announcement)
        : this(school, announcement,
            c.Query<(long Id, string? Ch)>(
                "SELECT o.contact_id, o.channel FROM contact_opt_outs o JOIN contacts c ON c.id = o.contact_id WHERE c.school_id = @s AND o.category = @cat",
                new { s = school.Id, cat = announcement.Category }, tx).ToLookup(x => x.Id, x => x.Ch),
            c.Query<(string Ch, string Addr)>("SELECT channel, address FROM address_states WHERE school_id = @s", new { s = school.Id }, tx)
                .Select(x => (x.Ch, AddressKey.Of(x.Ch, x.Addr))).ToHashSet())
    {
    }

    private Decider(School school, Announcement announcement, ILookup<long, string?> optOuts, HashSet<(string, string)> blocked) =>
        (_school, _announcement, _optOuts, _blocked) = (school, announcement, optOuts, blocked);

    /// <summary>Reads the facts for one contact only (its opt-outs of the category, the state of its two addresses): the
    /// ledger's fallback after a later failure, inside the transaction that records it.</summary>
    public static Decider ForContact(DbConnection c, DbTransaction tx, School school, Announcement announcement, long contactId, string? email, string? mobile)
    {
        var optOuts = c.Query<(long Id, string? Ch)>("SELECT contact_id, channel FROM contact_opt_outs WHERE contact_id = @contactId AND category = @cat",
            new { contactId, cat = announcement.Category }, tx).ToLookup(x => x.Id, x => x.Ch);
        var keys = new[] { (Channel.Email, EmailAddress.Normalise(email, out _)), (Channel.Sms, MobileNumbers.Normalise(mobile, school.DefaultRegion, out _)) }
            .Where(x => x.Item2 is not null).Select(x => AddressKey.Of(x.Item1, x.Item2!)).ToArray();
        var blocked = keys.Length == 0 ? [] : c.Query<(string Ch, string Addr)>(
                $"SELECT channel, address FROM address_states WHERE school_id = @s AND address {Herald.Storage.Database.InList(c, "keys")}", new { s = school.Id, keys }, tx)
            .Select(x => (x.Ch, AddressKey.Of(x.Ch, x.Addr))).ToHashSet();
        return new(school, announcement, optOuts, blocked);
    }

    /// <summary>The send's decisions for one recipient on every channel of the announcement, and (essential only) the
    /// fallbacks of the deliveries that cannot start (<see cref="FallbackPolicy"/>). <paramref name="smsMaxParts"/>:
    /// the SMS gateway's limit, which the SMS version of an email-only announcement must fit.</summary>
    public RecipientPlan Plan(long contactId, string? email, string? mobile, bool digest, int smsMaxParts)
    {
        var decisions = _announcement.Channels.Distinct().Select(ch => (ch, Decide(ch, contactId, email, mobile, digest))).ToList();
        var fallbacks = new List<PlannedFallbackOf>();
        foreach (var (ch, d) in decisions)
        {
            if (FallbackPolicy.Target(_announcement.Essential, ch, d.Decision.Status) is not { } to) continue;
            var existing = decisions.Where(x => x.ch == to).Select(x => (DeliveryStatus?)x.Item2.Decision.Status).FirstOrDefault();
            var target = existing is null ? Decide(to, contactId, email, mobile, digest) : null;
            var plan = FallbackPolicy.Plan(new FallbackFacts(true, ch, d.Decision.Status, d.Decision.Reason, existing, target?.Decision,
                FallbackPolicy.ContentProblem(to, _announcement.Text, _announcement.Html, _announcement.SmsText, smsMaxParts)));
            if (plan.To is not null) fallbacks.Add(new(ch, plan, plan.Send ? target : null));
        }
        return new(decisions, fallbacks);
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

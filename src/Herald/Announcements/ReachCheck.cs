using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;
using Herald.Core.Deliveries;
using Herald.Schools;
using Herald.Sms;
using Herald.Storage;

namespace Herald.Announcements;

/// <summary>One channel in a reach check.</summary>
/// <param name="Reached">Contacts this channel will reach: its queued (and digest-held) decisions plus the fallbacks to it.</param>
/// <param name="ByFallback">Of those, how many only through a fallback.</param>
/// <param name="Decisions">The send's first decision per status, for the announcement's own channels (every status, zeros included).</param>
public sealed record ReachChannel(long Reached, long ByFallback, IReadOnlyDictionary<string, long> Decisions);

/// <summary>A contact who will get a fallback.</summary>
public sealed record ReachFallback(long ContactId, string? Name, string? ExternalId, string From, string To, string Why);

/// <summary>A contact no channel reaches (the paper list), with the reason per channel.</summary>
public sealed record UnreachableContact(long ContactId, string? Name, string? ExternalId, IReadOnlyDictionary<string, string> Reasons);

/// <summary>What sending the announcement now would reach, decided as the send decides, without writing anything.</summary>
/// <param name="Basis">Always <c>current profiles</c>: for a sent announcement too, this is what a send now would do
/// (the report says what happened).</param>
public sealed record ReachReport(long AnnouncementId, string State, bool Essential, int Recipients, int Reached, string Basis,
    IReadOnlyDictionary<string, ReachChannel> Channels, IReadOnlyList<ReachFallback> Fallbacks, IReadOnlyList<UnreachableContact> Unreachable);

/// <summary>
/// The reach check (api.md, <c>GET /api/v1/announcements/{id}/reach</c>; <c>herald announcements reach</c>): the
/// audience, the <see cref="Decider"/> and the fallback plan of <see cref="AnnouncementSender"/>, read in one snapshot
/// and never written.
/// </summary>
public sealed class ReachCheck(Database db, TimeProvider time, SmsOptions sms)
{
    /// <summary>The check, or null when the announcement is not this school's.</summary>
    public ReachReport? Check(School school, long announcementId)
    {
        using var c = db.Open();
        using var tx = db.BeginSnapshot(c);
        if (Dapper.SqlMapper.ExecuteScalar<long>(c, "SELECT COUNT(*) FROM announcements WHERE id = @announcementId AND school_id = @s",
                new { announcementId, s = school.Id }, tx) == 0)
            return null;
        var a = new AnnouncementStore(db, time).GetAnyWith(c, tx, announcementId);
        var recipients = AnnouncementSender.Audience(c, tx, school.Id, a.Audience);
        var decider = new Decider(c, tx, school, a);

        var channels = a.Channels.Distinct().ToList();
        var decisions = channels.ToDictionary(ch => ch, ch => Wire.StatusesOf(ch).ToDictionary(s => s, _ => 0L));
        var reached = new Dictionary<Channel, long> { [Channel.Email] = 0, [Channel.Sms] = 0 };
        var byFallback = new Dictionary<Channel, long> { [Channel.Email] = 0, [Channel.Sms] = 0 };
        var fallbacks = new List<ReachFallback>();
        var unreachable = new List<UnreachableContact>();
        var reachedContacts = 0;
        foreach (var r in recipients)
        {
            var plan = decider.Plan(r.id, r.email, r.mobile, r.digest == 1, sms.MaxParts);
            var reasons = new Dictionary<string, string>();
            var any = false;
            foreach (var (ch, d) in plan.Decisions)
            {
                var st = d.Decision.Status;
                decisions[ch][st] = decisions[ch].GetValueOrDefault(st) + 1;
                if (st is DeliveryStatus.Queued or DeliveryStatus.PendingDigest) { reached[ch]++; any = true; }
                else reasons[ch.Name()] = $"{st.Name()}: {d.Decision.Reason}";
            }
            foreach (var f in plan.Fallbacks)
            {
                var to = f.Plan.To!.Value;
                if (f.Plan.Send)
                {
                    reached[to]++; byFallback[to]++; any = true;
                    fallbacks.Add(new(r.id, r.name, r.external_id, f.From.Name(), to.Name(), f.Plan.Detail!));
                }
                else reasons.TryAdd(to.Name(), f.Plan.Detail!);
            }
            if (any) reachedContacts++;
            else unreachable.Add(new(r.id, r.name, r.external_id, reasons));
        }
        var result = new Dictionary<string, ReachChannel>();
        foreach (var ch in new[] { Channel.Email, Channel.Sms }.Where(ch => channels.Contains(ch) || byFallback[ch] > 0))
            result[ch.Name()] = new(reached[ch], byFallback[ch],
                decisions.TryGetValue(ch, out var d) ? d.ToDictionary(x => x.Key.Name(), x => x.Value) : new Dictionary<string, long>());
        return new(a.Id, a.State, a.Essential, recipients.Count, reachedContacts, "current profiles", result, fallbacks, unreachable);
    }

    /// <summary>The paper list as CSV: contact id, name, external id, then the reason per channel. A cell that starts
    /// with = + - @ (or a tab or carriage return) is prefixed with ' so that a spreadsheet shows it instead of running it.</summary>
    public static string PaperListCsv(ReachReport r)
    {
        using var w = new StringWriter(CultureInfo.InvariantCulture);
        using var csv = new CsvWriter(w, new CsvConfiguration(CultureInfo.InvariantCulture) { InjectionOptions = InjectionOptions.Escape });
        foreach (var h in new[] { "contactId", "name", "externalId", "email", "sms" }) csv.WriteField(h);
        csv.NextRecord();
        foreach (var u in r.Unreachable)
        {
            csv.WriteField(u.ContactId.ToString(CultureInfo.InvariantCulture));
            csv.WriteField(u.Name ?? "");
            csv.WriteField(u.ExternalId ?? "");
            csv.WriteField(u.Reasons.GetValueOrDefault("email") ?? "");
            csv.WriteField(u.Reasons.GetValueOrDefault("sms") ?? "");
            csv.NextRecord();
        }
        csv.Flush();
        return w.ToString();
    }
}

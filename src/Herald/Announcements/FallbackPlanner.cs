using System.Data.Common;
using Dapper;
using Herald.Core.Deliveries;
using Herald.Core.Sending;
using Herald.Deliveries;
using Herald.Schools;
using Herald.Sms;

namespace Herald.Announcements;

/// <summary>
/// The fallback of an essential announcement after a later failure (a hard bounce, a rejection, a failed SMS), planned
/// inside the ledger's transaction that records the failure: the announcement, the contact's profile as it is now, its
/// delivery on the other channel and the state of its addresses go through the same <see cref="Decider"/> and
/// <see cref="FallbackPolicy"/> as the send. Only reads; the ledger writes.
/// </summary>
public sealed class FallbackPlanner(AnnouncementStore announcements, SmsOptions sms) : IFallbackPlanner
{
    private sealed class ContactRow
    {
        public string? email { get; set; }
        public string? mobile { get; set; }
        public long digest { get; set; }
    }

    public PlannedFallback? Plan(DbConnection c, DbTransaction tx, FailedDelivery failed)
    {
        if (FallbackPolicy.Target(true, failed.Channel, failed.Status) is not { } to) return null;
        if (c.ExecuteScalar<long?>("SELECT essential FROM announcements WHERE id = @id", new { id = failed.AnnouncementId }, tx) != 1) return null;
        var contact = c.QuerySingleOrDefault<ContactRow>("SELECT email, mobile, digest FROM contacts WHERE id = @id", new { id = failed.ContactId }, tx);
        if (contact is null || SchoolStore.GetWith(c, tx, failed.SchoolId) is not { } school) return null;
        var a = announcements.GetAnyWith(c, tx, failed.AnnouncementId);
        var existing = c.ExecuteScalar<string?>("SELECT status FROM deliveries WHERE announcement_id = @a AND contact_id = @ct AND channel = @ch",
            new { a = a.Id, ct = failed.ContactId, ch = to.Name() }, tx) is { } st ? Wire.ParseStatus(st) : (DeliveryStatus?)null;
        var target = existing is null
            ? Decider.ForContact(c, tx, school, a, failed.ContactId, contact.email, contact.mobile)
                .Decide(to, failed.ContactId, contact.email, contact.mobile, contact.digest == 1)
            : null;
        var plan = FallbackPolicy.Plan(new FallbackFacts(a.Essential, failed.Channel, failed.Status, failed.Cause, existing, target?.Decision,
            FallbackPolicy.ContentProblem(to, a.Text, a.Html, a.SmsText, sms.MaxParts)));
        return plan is { To: { } ch, Detail: { } detail } ? new PlannedFallback(ch, plan.Send ? target!.Address : null, plan.Send, detail) : null;
    }
}

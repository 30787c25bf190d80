using System.Data.Common;
using Herald.Core.Deliveries;
using Herald.Storage;

namespace Herald.Deliveries;

/// <summary>The ledger's operation for what staff change on Herald's pages: the ledger is the only writer of the full
/// log, so a profile change made there is logged here, in the transaction that makes it.</summary>
public sealed partial class DeliveryLedger
{
    /// <summary>
    /// Profile changed by staff: one event in the contact's full log (source <c>staff</c>, no delivery, no status) saying
    /// what changed, who changed it and why, written in the caller's transaction with the change itself.
    /// </summary>
    /// <param name="by">The signed-in person, e.g. <c>Ann Office (ann@school.example)</c>: the event's actor.</param>
    /// <param name="change">What changed, e.g. <c>email changed from a@x to b@y</c>.</param>
    public void RecordProfileChange(DbConnection c, DbTransaction tx, long schoolId, long contactId, Channel channel, string change,
        string by, string why)
    {
        var now = DbTime.Ms(time.GetUtcNow());
        InsertEvents(c, tx, [new EventRow(schoolId, contactId, null, null, channel.Name(), null, null, false, EventSource.Staff,
            $"{change} by {by}: {why}", null, now, Actor: by)]);
    }
}

using Herald.Core.Deliveries;

namespace Herald.Core.Reports;

/// <summary>What the report tells school staff about a status, and what they can do.</summary>
public sealed record Guidance(string Explanation, string? Action);

/// <summary>The "what the report tells staff" column of delivery-model.md, as a table.</summary>
public static class StaffGuidance
{
    private static readonly Dictionary<DeliveryStatus, Guidance> Table = new()
    {
        [DeliveryStatus.Queued] = new("On its way to the provider.", "If unchanged after 30 minutes, contact support."),
        [DeliveryStatus.Sent] = new("Accepted by the provider.", null),
        [DeliveryStatus.Delivered] = new("The receiving server took it.", null),
        [DeliveryStatus.Opened] = new("The recipient opened it.", null),
        [DeliveryStatus.Clicked] = new("The recipient followed a link in it.", null),
        [DeliveryStatus.SoftBounce] = new("The receiving server refused for now; Herald tries again on a schedule (or waits for the mail server's final report) and says so here if it gives up.",
            "Ask the recipient to add the school's sender address to their trusted senders."),
        [DeliveryStatus.HardBounce] = new("The address does not work.", "Ask for an alternative address."),
        [DeliveryStatus.Rejected] = new("Refused for policy, reputation or spam reasons, or retries ran out.",
            "Contact support; they can see the exact cause."),
        [DeliveryStatus.Spam] = new("The recipient or their provider reported it as spam.",
            "Ask the recipient to trust the sender and remove filtering rules."),
        [DeliveryStatus.Dropped] = new("Not sent: this address failed before.", "Fix or replace the address."),
        [DeliveryStatus.EmailMissing] = new("Not sent: no usable email address.", "Check the profile for a missing or mistyped address."),
        [DeliveryStatus.OptedOut] = new("Not sent: the contact opted out of this kind of message.",
            "Essential announcements still reach them."),
        [DeliveryStatus.PendingDigest] = new("Held for the contact's digest.", "Will go out with the next digest."),
        [DeliveryStatus.Failed] = new("The SMS provider could not deliver to this number.", "Check the mobile number or ask for another one."),
        [DeliveryStatus.MobileMissing] = new("Not sent: no usable mobile number.", "Check the profile for a missing or mistyped number."),
    };

    /// <summary>The guidance for a status.</summary>
    public static Guidance For(DeliveryStatus status) => Table[status];

    /// <summary>Guidance for a delivery still queued after the alert threshold.</summary>
    public static readonly Guidance StuckInQueue =
        new("Still waiting for the provider after 30 minutes.", "Contact support: the queue may be stuck.");
}

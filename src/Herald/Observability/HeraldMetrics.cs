using Prometheus;

namespace Herald.Observability;

/// <summary>Herald's Prometheus metrics (exposed at <c>/metrics</c>; documented in docs/operations.md).</summary>
public static class HeraldMetrics
{
    public static readonly Counter EventsRecorded = Metrics.CreateCounter(
        "herald_events_recorded_total", "Events recorded, by status, source and whether they changed the delivery's status.",
        "status", "source", "changed");

    public static readonly Counter LedgerRetries = Metrics.CreateCounter(
        "herald_ledger_retries_total", "Times a group of transport answers was refused by the database and kept to be tried again.");

    public static readonly Counter DuplicateEvents = Metrics.CreateCounter(
        "herald_events_duplicate_total", "Events ignored because an event with the same provider id was already recorded.", "source");

    public static readonly Counter Decisions = Metrics.CreateCounter(
        "herald_send_decisions_total", "First status decided for each delivery when an announcement is sent.", "channel", "status");

    public static readonly Counter TransportResults = Metrics.CreateCounter(
        "herald_transport_results_total", "Outcomes of transport attempts.", "channel", "status");

    public static readonly Gauge QueuedTooLong = Metrics.CreateGauge(
        "herald_deliveries_queued_too_long", "Deliveries still queued after the alert threshold (30 minutes by default).");

    public static readonly Counter AddressesBlocked = Metrics.CreateCounter(
        "herald_addresses_blocked_total", "Addresses or numbers marked failed or suppressed.", "channel", "state");

    public static readonly Counter BounceMail = Metrics.CreateCounter(
        "herald_bounce_mail_total", "Messages read from the bounce mailbox, by outcome: recorded, duplicate, unmatched, not_bounce, unreadable, oversized.",
        "outcome");

    public static readonly Counter BounceMailboxFailures = Metrics.CreateCounter(
        "herald_bounce_mailbox_failures_total", "Bounce mailbox sessions that failed (connect, login, folder or processing error); each is retried after a back-off.");

    public static readonly Gauge BounceMailboxConnected = Metrics.CreateGauge(
        "herald_bounce_mailbox_connected", "1 while the bounce mailbox reader is connected and logged in, else 0.");
}

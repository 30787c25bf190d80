using Herald.Core.Deliveries;

namespace Herald.Sms;

/// <summary>An SMS ready to go.</summary>
/// <param name="SendBy">As for an outgoing email (Email/EmailTransport.cs): a send still waiting (for the throughput limit) after this
/// must be given back untried, because the dispatcher's claim may lapse and another worker send it too.</param>
public sealed record OutgoingSms(long DeliveryId, int Attempt, int Try, string Number, string Text, string? Sender, DateTimeOffset? SendBy = null);

/// <summary>Carries SMS to a gateway. Implementations: the sandbox, Kannel and a Twilio-compatible provider.</summary>
public interface ISmsTransport
{
    Task<TransportResult> SendAsync(OutgoingSms sms, CancellationToken ct);

    /// <summary>How many SMS the dispatcher may hand over at once (the gateway's HTTP requests in flight).
    /// Default 1: one after the other. Must be thread-safe when above 1.</summary>
    int MaxInFlight => 1;
}

using Herald.Core.Deliveries;
using MimeKit;

namespace Herald.Email;

/// <summary>An email ready to go: the delivery it belongs to and the MIME message.</summary>
/// <param name="Attempt">The delivery's attempt (a resend starts a new one).</param>
/// <param name="Try">The transport try within the attempt (retries after soft bounces).</param>
/// <param name="SendBy">The last moment to start the message: the claim keeps only enough time after it for the message's
/// own commands. A transport still waiting for a connection then must not start it (another worker could send it too)
/// and gives it back untried (<see cref="TransportResult.NotAttempted"/>).</param>
/// <param name="Starting">Awaited by the transport once it holds a connection, just before the message goes on the wire;
/// false means "do not start it" (the message is given back untried). The dispatcher uses it to bound how many messages
/// can be sent but not yet recorded, which is what a kill -9 can send twice.</param>
public sealed record OutgoingEmail(long DeliveryId, int Attempt, int Try, string Recipient, MimeMessage Message, DateTimeOffset? SendBy = null,
    Func<Task<bool>>? Starting = null);

/// <summary>Carries emails to a relay or provider. Implementations: the sandbox and SMTP.</summary>
public interface IEmailTransport
{
    Task<TransportResult> SendAsync(OutgoingEmail email, CancellationToken ct);

    /// <summary>How many messages the dispatcher may hand over at once (the transport bounds its own connections).
    /// Default 1: one after the other.</summary>
    int MaxInFlight => 1;

    /// <summary>How many messages can be on the wire at once (the relay connections). Default 1.</summary>
    int Connections => 1;
}

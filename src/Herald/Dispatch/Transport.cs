using Herald.Core.Deliveries;
using MimeKit;

namespace Herald.Dispatch;

/// <summary>Wakes the dispatcher at once when there is new work (a send), instead of waiting for its next poll.</summary>
public sealed class DispatchSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);
    public void Wake() { try { _signal.Release(); } catch (SemaphoreFullException) { } }
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => _signal.WaitAsync(timeout, ct);
}

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

/// <summary>An SMS ready to go.</summary>
/// <param name="SendBy">As for <see cref="OutgoingEmail"/>: a send still waiting (for the throughput limit) after this
/// must be given back untried, because the dispatcher's claim may lapse and another worker send it too.</param>
public sealed record OutgoingSms(long DeliveryId, int Attempt, int Try, string Number, string Text, string? Sender, DateTimeOffset? SendBy = null);

/// <summary>Feedback a transport already knows will follow (only the sandbox's simulator makes these).</summary>
public sealed record FollowUp(DeliveryStatus? Status, EventSource Source, string Detail, string? Reason = null);

/// <summary>The transport's synchronous answer.</summary>
/// <param name="Status">sent, soft_bounce, hard_bounce, rejected or failed.</param>
/// <param name="Detail">The provider's exact reply, kept in the log.</param>
/// <param name="ReplyCode">SMTP reply code when there is one.</param>
/// <param name="EnhancedStatus">RFC 3463 status code when there is one.</param>
/// <param name="Reason">Bounce reason (vocabulary of delivery-model.md).</param>
/// <param name="BlamesAddress">False when the failure is not the address's fault (see <see cref="Deliveries.DeliveryEvent"/>).</param>
/// <param name="Untried">Nothing went on the wire: the try does not count and the delivery is due again at once.</param>
public sealed record TransportResult(DeliveryStatus Status, string Detail, int? ReplyCode = null, string? EnhancedStatus = null,
    string? Reason = null, IReadOnlyList<FollowUp>? FollowUps = null, bool BlamesAddress = true, bool Untried = false)
{
    /// <summary>Given back untried after waiting past the claim's deadline to start (<paramref name="waitedFor"/>):
    /// due again at once, never the address's fault.</summary>
    public static TransportResult NotAttempted(string waitedFor) =>
        new(DeliveryStatus.SoftBounce, $"not attempted: waited too long for {waitedFor}", null, "4.4.5", "toomanyconn", BlamesAddress: false, Untried: true);
}

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

/// <summary>Carries SMS to a gateway. Implementations: the sandbox, Kannel and a Twilio-compatible provider.</summary>
public interface ISmsTransport
{
    Task<TransportResult> SendAsync(OutgoingSms sms, CancellationToken ct);

    /// <summary>How many SMS the dispatcher may hand over at once (the gateway's HTTP requests in flight).
    /// Default 1: one after the other. Must be thread-safe when above 1.</summary>
    int MaxInFlight => 1;
}

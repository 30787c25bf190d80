using System.Text.Json;
using Herald.Core.Deliveries;
using Herald.Email;
using Herald.Sms;

namespace Herald.Sandbox;

/// <summary>
/// The embedded default: every email becomes an .eml file in <c>DATA/sandbox/email</c>, every SMS a JSON line in
/// <c>DATA/sandbox/sms.jsonl</c>, and nothing leaves the machine. Addresses on the simulator domain get the feedback
/// their local part names (like Amazon SES's mailbox simulator), so every status can be seen without a relay.
/// </summary>
public sealed class SandboxTransport : IEmailTransport, ISmsTransport
{
    /// <summary>The reserved simulator domain (.invalid can never exist, RFC 2606).</summary>
    public const string SimulatorDomain = "simulator.herald.invalid";

    private readonly string _emailDir;
    private readonly string _smsFile;
    private readonly Lock _smsLock = new();

    public SandboxTransport(string dataDirectory)
    {
        _emailDir = Path.Combine(dataDirectory, "sandbox", "email");
        _smsFile = Path.Combine(dataDirectory, "sandbox", "sms.jsonl");
        Directory.CreateDirectory(_emailDir);
    }

    public string EmailFolder => _emailDir;
    public string SmsFile => _smsFile;

    public async Task<TransportResult> SendAsync(OutgoingEmail email, CancellationToken ct)
    {
        var (local, domain) = Split(email.Recipient);
        var simulated = domain == SimulatorDomain ? Simulator.ForEmail(local, email.Try) : null;
        if (simulated is { Status: not DeliveryStatus.Sent }) return simulated;
        var path = Path.Combine(_emailDir, $"{email.DeliveryId}-{email.Attempt}-{email.Try}.eml");
        await email.Message.WriteToAsync(path, ct);
        return simulated ?? new TransportResult(DeliveryStatus.Sent, $"sandbox: written to {path}");
    }

    public Task<TransportResult> SendAsync(OutgoingSms sms, CancellationToken ct)
    {
        var line = JsonSerializer.Serialize(new { deliveryId = sms.DeliveryId, attempt = sms.Attempt, to = sms.Number, from = sms.Sender, text = sms.Text, at = DateTimeOffset.UtcNow });
        lock (_smsLock) File.AppendAllText(_smsFile, line + "\n");
        return Task.FromResult(new TransportResult(DeliveryStatus.Sent, $"sandbox: appended to {_smsFile}"));
    }

    private static (string Local, string Domain) Split(string address)
    {
        var at = address.LastIndexOf('@');
        return at < 0 ? (address, "") : (address[..at].ToLowerInvariant(), address[(at + 1)..].ToLowerInvariant());
    }
}

/// <summary>The simulator's mailboxes: the local part (before any <c>+tag</c>) says what happens. Documented in docs/sandbox.md.</summary>
public static class Simulator
{
    private static FollowUp Delivered => new(DeliveryStatus.Delivered, EventSource.Simulator, "simulated: 250 2.0.0 delivered to mailbox");

    private static readonly Dictionary<string, Func<int, TransportResult>> Mailboxes = new()
    {
        ["success"] = _ => Sent(Delivered),
        ["delivered"] = _ => Sent(Delivered),
        ["hard-bounce"] = _ => Sent(new FollowUp(DeliveryStatus.HardBounce, EventSource.Simulator,
            "simulated bounce: 550 5.1.1 <hard-bounce@simulator.herald.invalid>: Recipient address rejected: User unknown", "userunknown")),
        // Fails twice with greylisting, then goes through: shows the retry cycle.
        ["soft-bounce"] = attempt => attempt <= 2
            ? new TransportResult(DeliveryStatus.SoftBounce, "simulated: 450 4.7.1 Greylisted, try again later", 450, "4.7.1", "blocked")
            : Sent(Delivered),
        ["reject"] = _ => new TransportResult(DeliveryStatus.Rejected, "simulated: 550 5.7.1 Message rejected by policy", 550, "5.7.1", "policyviolation"),
        ["complaint"] = _ => Sent(Delivered, new FollowUp(DeliveryStatus.Spam, EventSource.Simulator,
            "simulated ARF complaint: Feedback-Type: abuse", "feedback")),
        ["auto-reply"] = _ => Sent(Delivered, new FollowUp(null, EventSource.Simulator,
            "simulated auto-reply (RFC 3834): I am out of the office until Monday", "vacation")),
        ["opens"] = _ => Sent(Delivered, new FollowUp(DeliveryStatus.Opened, EventSource.Simulator, "simulated open")),
        ["clicks"] = _ => Sent(Delivered, new FollowUp(DeliveryStatus.Opened, EventSource.Simulator, "simulated open"),
            new FollowUp(DeliveryStatus.Clicked, EventSource.Simulator, "simulated click: https://school.example/letter")),
    };

    /// <summary>The simulated answer for a local part on the simulator domain; unknown mailboxes are delivered.</summary>
    public static TransportResult ForEmail(string localPart, int attempt)
    {
        var plus = localPart.IndexOf('+');
        var box = plus >= 0 ? localPart[..plus] : localPart;
        return Mailboxes.TryGetValue(box, out var f) ? f(attempt) : Sent(Delivered);
    }

    public static IReadOnlyCollection<string> Names => Mailboxes.Keys;

    private static TransportResult Sent(params FollowUp[] followUps) =>
        new(DeliveryStatus.Sent, "simulated: 250 2.0.0 Ok: queued", 250, "2.0.0", null, followUps);
}

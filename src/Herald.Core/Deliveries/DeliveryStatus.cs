namespace Herald.Core.Deliveries;

/// <summary>The channel a delivery goes through.</summary>
public enum Channel
{
    Email,
    Sms,
}

/// <summary>
/// What became of one message to one recipient on one channel (delivery-model.md).
/// Email and SMS share the names they have in common; <see cref="Failed"/> and
/// <see cref="MobileMissing"/> are SMS-only, the bounce and tracking statuses email-only.
/// </summary>
public enum DeliveryStatus
{
    Queued,
    Sent,
    Delivered,
    Opened,
    Clicked,
    SoftBounce,
    HardBounce,
    Rejected,
    Spam,
    Dropped,
    EmailMissing,
    OptedOut,
    PendingDigest,
    Failed,
    MobileMissing,
}

/// <summary>Where an event came from; shown in a contact's full log.</summary>
public enum EventSource
{
    /// <summary>Herald's own send decision (missing address, opt-out, digest, dropped, queued).</summary>
    Decision,
    /// <summary>The transport's synchronous answer (SMTP reply, SMS gateway submit).</summary>
    Transport,
    /// <summary>Bounce mail, DSNs, ARF complaints and auto-replies.</summary>
    Bounce,
    /// <summary>Provider webhooks, delivery receipts and the events API.</summary>
    Webhook,
    /// <summary>An operator's support action (address reset).</summary>
    Support,
    /// <summary>Feedback made up by the sandbox's mailbox simulator.</summary>
    Simulator,
    /// <summary>Open and click tracking.</summary>
    Tracking,
    /// <summary>An event posted through the API with a school key (the key's name is kept as the event's actor); also an
    /// opt-out change made through the contacts API.</summary>
    Api,
    /// <summary>A recipient's one-click unsubscribe (RFC 8058 POST to the signed link).</summary>
    Link,
    /// <summary>A recipient's mail to the <c>unsubscribe+TOKEN@</c> address (the List-Unsubscribe mailto).</summary>
    Reply,
    /// <summary>A recipient's choice on the unsubscribe page (its button, or the undo).</summary>
    Page,
    /// <summary>An opt-out change made by a CSV contact import.</summary>
    Import,
    /// <summary>A school's staff (or support) on Herald's pages: an address fixed on the contact page, with who and why.</summary>
    Staff,
}

/// <summary>Wire names (snake_case) for the enums, as used in the API, the CLI and the database.</summary>
public static class Wire
{
    private static readonly Dictionary<DeliveryStatus, string> StatusNames = new()
    {
        [DeliveryStatus.Queued] = "queued",
        [DeliveryStatus.Sent] = "sent",
        [DeliveryStatus.Delivered] = "delivered",
        [DeliveryStatus.Opened] = "opened",
        [DeliveryStatus.Clicked] = "clicked",
        [DeliveryStatus.SoftBounce] = "soft_bounce",
        [DeliveryStatus.HardBounce] = "hard_bounce",
        [DeliveryStatus.Rejected] = "rejected",
        [DeliveryStatus.Spam] = "spam",
        [DeliveryStatus.Dropped] = "dropped",
        [DeliveryStatus.EmailMissing] = "email_missing",
        [DeliveryStatus.OptedOut] = "opted_out",
        [DeliveryStatus.PendingDigest] = "pending_digest",
        [DeliveryStatus.Failed] = "failed",
        [DeliveryStatus.MobileMissing] = "mobile_missing",
    };

    private static readonly Dictionary<string, DeliveryStatus> StatusByName =
        StatusNames.ToDictionary(p => p.Value, p => p.Key, StringComparer.OrdinalIgnoreCase);

    /// <summary>The snake_case name of a status, e.g. <c>soft_bounce</c>.</summary>
    public static string Name(this DeliveryStatus status) => StatusNames[status];

    /// <summary>The lowercase name of a channel: <c>email</c> or <c>sms</c>.</summary>
    public static string Name(this Channel channel) => channel == Channel.Email ? "email" : "sms";

    /// <summary>The lowercase name of an event source, e.g. <c>transport</c>.</summary>
    public static string Name(this EventSource source) => source.ToString().ToLowerInvariant();

    public static bool TryParseStatus(string? text, out DeliveryStatus status) =>
        StatusByName.TryGetValue(text?.Trim() ?? "", out status);

    public static DeliveryStatus ParseStatus(string text) =>
        TryParseStatus(text, out var s) ? s : throw new FormatException($"unknown status '{text}'");

    public static bool TryParseChannel(string? text, out Channel channel)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "email": channel = Channel.Email; return true;
            case "sms": channel = Channel.Sms; return true;
            default: channel = default; return false;
        }
    }

    public static Channel ParseChannel(string text) =>
        TryParseChannel(text, out var c) ? c : throw new FormatException($"unknown channel '{text}'");

    public static bool TryParseSource(string? text, out EventSource source) =>
        Enum.TryParse(text?.Trim(), ignoreCase: true, out source) && !int.TryParse(text, out _);

    public static EventSource ParseSource(string text) =>
        TryParseSource(text, out var s) ? s : throw new FormatException($"unknown event source '{text}'");

    /// <summary>Every status a delivery on this channel can have, in the order reports list them.</summary>
    public static IReadOnlyList<DeliveryStatus> StatusesOf(Channel channel) =>
        channel == Channel.Email ? EmailStatuses : SmsStatuses;

    public static readonly IReadOnlyList<DeliveryStatus> EmailStatuses =
    [
        DeliveryStatus.Queued, DeliveryStatus.Sent, DeliveryStatus.Delivered, DeliveryStatus.Opened,
        DeliveryStatus.Clicked, DeliveryStatus.SoftBounce, DeliveryStatus.HardBounce, DeliveryStatus.Rejected,
        DeliveryStatus.Spam, DeliveryStatus.Dropped, DeliveryStatus.EmailMissing, DeliveryStatus.OptedOut,
        DeliveryStatus.PendingDigest,
    ];

    public static readonly IReadOnlyList<DeliveryStatus> SmsStatuses =
    [
        DeliveryStatus.Queued, DeliveryStatus.Sent, DeliveryStatus.Delivered, DeliveryStatus.Failed,
        DeliveryStatus.MobileMissing, DeliveryStatus.OptedOut, DeliveryStatus.Dropped,
    ];
}

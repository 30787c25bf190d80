using System.Text.RegularExpressions;
using Herald.Core.Bounces;
using Herald.Core.Deliveries;

namespace Herald.Email;

/// <summary>Turns the relay's synchronous answer to one message into a delivery status (delivery-model.md).</summary>
public static partial class SmtpReplies
{
    /// <summary>5xx reasons that say the address itself does not work: a hard bounce marks it failed.</summary>
    private static readonly HashSet<BounceReason> AddressReasons =
        [BounceReason.UserUnknown, BounceReason.HostUnknown, BounceReason.HasMoved, BounceReason.Suspend];

    /// <summary>5xx reasons that are the message's or the sender's fault, never the address's: rejected, and the
    /// address stays usable (a later, smaller or differently configured message may go through).</summary>
    private static readonly HashSet<BounceReason> NotTheAddress =
    [
        BounceReason.ContentError, BounceReason.MesgTooBig, BounceReason.SyntaxError, BounceReason.MailerError,
        BounceReason.NotCompliantRfc, BounceReason.SystemError, BounceReason.SecurityError, BounceReason.AuthFailure,
        BounceReason.NoRelaying, BounceReason.RequirePtr, BounceReason.FailedStartTls, BounceReason.NetworkError,
        BounceReason.VirusDetected, BounceReason.Undefined,
    ];

    [GeneratedRegex(@"^\s*([245]\.\d{1,3}\.\d{1,3})\b")]
    private static partial Regex EnhancedStatusRegex();

    /// <summary>The RFC 3463 enhanced status at the start of a reply text (<c>5.1.1 User unknown</c>), if any.</summary>
    public static string? EnhancedStatus(string? text) =>
        text is not null && EnhancedStatusRegex().Match(text) is { Success: true } m ? m.Groups[1].Value : null;

    /// <summary>
    /// Maps one reply: 2xx sent; 4xx soft bounce (retried on the schedule its code chooses); 5xx classified with the bounce
    /// engine: userunknown/hostunknown (and moved/suspended mailboxes) hard bounce, everything else rejected with its
    /// reason kept. <paramref name="senderRefused"/>: the relay refused MAIL FROM, which is never the recipient's fault.
    /// </summary>
    public static TransportResult Map(int code, string text, bool senderRefused = false)
    {
        text = text.Trim();
        var enhanced = EnhancedStatus(text);
        var detail = $"{code} {text}";
        if (code is >= 200 and < 300) return new TransportResult(DeliveryStatus.Sent, detail, code, enhanced);
        var (reason, _) = BounceAnalyzer.ClassifyReply(code, enhanced, text);
        var name = reason.ToVocabulary();
        if (code is >= 400 and < 500 || code < 200 || code >= 600)
            return new TransportResult(DeliveryStatus.SoftBounce, detail, code, enhanced, name, BlamesAddress: false);
        if (!senderRefused && AddressReasons.Contains(reason))
            return new TransportResult(DeliveryStatus.HardBounce, detail, code, enhanced, name);
        return new TransportResult(DeliveryStatus.Rejected, detail, code, enhanced, name,
            BlamesAddress: !senderRefused && !NotTheAddress.Contains(reason));
    }

    /// <summary>The relay could not be reached or the connection broke before the message was accepted: a temporary
    /// failure that is not the address's fault, retried on the "server down" schedule (4.4.1).</summary>
    public static TransportResult Unreachable(string what) =>
        new(DeliveryStatus.SoftBounce, $"relay unreachable: {what}", null, "4.4.1", BounceReason.NetworkError.ToVocabulary(), BlamesAddress: false);
}

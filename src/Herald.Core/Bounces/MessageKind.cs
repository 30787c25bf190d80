namespace Herald.Core.Bounces;

/// <summary>What kind of message came back.</summary>
public enum MessageKind
{
    /// <summary>Ordinary mail: none of the kinds below.</summary>
    NotBounce,
    /// <summary>A delivery failure or delay (RFC 3464 DSN or a non-standard bounce).</summary>
    Bounce,
    /// <summary>A spam or abuse complaint (ARF, RFC 5965, or a provider's feedback loop).</summary>
    Complaint,
    /// <summary>An automatic reply such as out-of-office (RFC 3834).</summary>
    AutoReply,
    /// <summary>A positive delivery report (every recipient delivered).</summary>
    DeliveryReport,
}

/// <summary>Conversions for <see cref="MessageKind"/>.</summary>
public static class MessageKinds
{
    /// <summary>The wire name: <c>bounce</c>, <c>complaint</c>, <c>auto-reply</c>, <c>delivery-report</c>, <c>not-bounce</c>.</summary>
    public static string ToVocabulary(this MessageKind kind) => kind switch
    {
        MessageKind.Bounce => "bounce",
        MessageKind.Complaint => "complaint",
        MessageKind.AutoReply => "auto-reply",
        MessageKind.DeliveryReport => "delivery-report",
        _ => "not-bounce",
    };
}

namespace Herald.Core.Bounces.Rules;

/// <summary>
/// Which reasons are tried first. Order matters because one diagnostic often carries several kinds
/// of evidence ("550 5.1.1 mailbox full" is a full mailbox, not an unknown user): specific reasons
/// come before generic ones. The two passes follow the bounce community's practice (Sisimai
/// reason.ClassOrder): the first weighs status code and wording together, the second is wording only
/// for what the first could not decide.
/// </summary>
internal static class ReasonOrder
{
    /// <summary>Pass 1: status code or wording, most specific first. NotAccept (null MX) by wording only, before the
    /// DNS and host wording that surrounds it in a resolver's error.</summary>
    public static readonly BounceReason[] Primary =
    [
        BounceReason.MailboxFull, BounceReason.MesgTooBig, BounceReason.ExceedLimit, BounceReason.Suspend,
        BounceReason.HasMoved, BounceReason.NoRelaying, BounceReason.AuthFailure, BounceReason.UserUnknown,
        BounceReason.Filtered, BounceReason.RequirePtr, BounceReason.NotCompliantRfc, BounceReason.BadReputation,
        BounceReason.Rejected, BounceReason.NotAccept, BounceReason.HostUnknown, BounceReason.SpamDetected, BounceReason.TooManyConn,
        BounceReason.Speeding, BounceReason.Blocked,
    ];

    /// <summary>Pass 2: wording only.</summary>
    public static readonly BounceReason[] Secondary =
    [
        BounceReason.MailboxFull, BounceReason.AuthFailure, BounceReason.BadReputation, BounceReason.Speeding,
        BounceReason.SpamDetected, BounceReason.VirusDetected, BounceReason.PolicyViolation, BounceReason.NoRelaying,
        BounceReason.SystemError, BounceReason.NetworkError, BounceReason.Suspend, BounceReason.ContentError,
        BounceReason.SystemFull, BounceReason.NotAccept, BounceReason.Expired, BounceReason.SecurityError,
        BounceReason.MailerError,
    ];

    /// <summary>
    /// Reasons an extractor may have guessed from a format alone; the general rules look again
    /// because the wording usually knows better.
    /// </summary>
    public static readonly HashSet<BounceReason> Retry =
    [
        BounceReason.Undefined, BounceReason.OnHold, BounceReason.SystemError, BounceReason.SecurityError,
        BounceReason.Expired, BounceReason.Suspend, BounceReason.NetworkError, BounceReason.HostUnknown,
        BounceReason.UserUnknown,
    ];

    /// <summary>Status reasons too vague to stop wording from deciding (5.7.1 is used for anything).</summary>
    public static readonly HashSet<BounceReason> WeakStatus =
    [
        BounceReason.SecurityError, BounceReason.SystemError, BounceReason.NetworkError,
    ];
}

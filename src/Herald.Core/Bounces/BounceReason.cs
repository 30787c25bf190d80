namespace Herald.Core.Bounces;

/// <summary>
/// Why a message came back. The names follow the vocabulary the bounce analysis community
/// uses (Sisimai's reason names, see docs/bounces.md); <see cref="BounceReasons.ToVocabulary"/>
/// gives the lowercase string stored and shown everywhere.
/// </summary>
public enum BounceReason
{
    Undefined,
    OnHold,
    UserUnknown,
    HostUnknown,
    MailboxFull,
    Filtered,
    Rejected,
    Blocked,
    Expired,
    Suspend,
    SpamDetected,
    PolicyViolation,
    SecurityError,
    AuthFailure,
    RequirePtr,
    NetworkError,
    SystemError,
    SystemFull,
    TooManyConn,
    NoRelaying,
    NotAccept,
    HasMoved,
    ContentError,
    MesgTooBig,
    ExceedLimit,
    SyntaxError,
    MailerError,
    VirusDetected,
    BadReputation,
    Speeding,
    NotCompliantRfc,
    RateLimited,
    FailedStartTls,
    Delivered,
    Feedback,
    Vacation,
}

/// <summary>Conversions between <see cref="BounceReason"/> and its vocabulary string.</summary>
public static class BounceReasons
{
    private static readonly Dictionary<BounceReason, string> Names =
        Enum.GetValues<BounceReason>().ToDictionary(r => r, r => r.ToString().ToLowerInvariant());

    private static readonly Dictionary<string, BounceReason> ByName =
        Names.ToDictionary(p => p.Value, p => p.Key, StringComparer.OrdinalIgnoreCase);

    /// <summary>The lowercase vocabulary name, e.g. <c>userunknown</c>.</summary>
    public static string ToVocabulary(this BounceReason reason) => Names[reason];

    /// <summary>Parses a vocabulary name (case-insensitive).</summary>
    public static bool TryParse(string? name, out BounceReason reason)
    {
        reason = BounceReason.Undefined;
        return name is not null && ByName.TryGetValue(name.Trim(), out reason);
    }

    /// <summary>Parses a vocabulary name; unknown names give <see cref="BounceReason.Undefined"/>.</summary>
    public static BounceReason Parse(string? name) => TryParse(name, out var r) ? r : BounceReason.Undefined;

    /// <summary>All reasons with their vocabulary names, in declaration order.</summary>
    public static IReadOnlyDictionary<BounceReason, string> All => Names;
}

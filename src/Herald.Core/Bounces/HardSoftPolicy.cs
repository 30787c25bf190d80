namespace Herald.Core.Bounces;

/// <summary>
/// Hard (permanent: the address is marked failed and every later announcement to it is dropped) or soft (may work
/// later). A hard bounce is the most consequential thing Herald does to a family, so it takes two things at once:
/// <list type="number">
/// <item>the failure is permanent: not a 4.x status (RFC 3463 §3.1: "persistent transient failure"), not a 4yz reply
/// when there is no status, and not a DSN whose action is anything but <c>failed</c> (a <c>delayed</c> report is a
/// warning that the server is still trying, RFC 3464 §2.3.3); and</item>
/// <item>the reason says the address itself is dead (<see cref="DeadAddress"/>).</item>
/// </list>
/// Everything else, even with a 5.x code (spam filters, policy, full mailboxes, a suspended mailbox), is soft: it says
/// nothing final about the address. Delivered, feedback and vacation are not bounces at all.
/// </summary>
public static class HardSoftPolicy
{
    /// <summary>The reasons that say the address cannot receive mail, and why each is there. <c>suspend</c> (a mailbox
    /// disabled by its provider, often for inactivity) is deliberately absent: such mailboxes are reactivated, and the
    /// labelled corpus, following the bounce community's convention, counts it soft.</summary>
    public static readonly IReadOnlyDictionary<BounceReason, string> DeadAddress = new Dictionary<BounceReason, string>
    {
        [BounceReason.UserUnknown] = "no such mailbox at that domain (X.1.1, \"user unknown\")",
        [BounceReason.HostUnknown] = "the domain does not exist or has no mail host (X.1.2, NXDOMAIN)",
        [BounceReason.HasMoved] = "the mailbox has moved and the server says where (X.1.6, 551)",
        [BounceReason.NotAccept] = "the domain accepts no mail at all (null MX, RFC 7505: 556 5.1.10)",
    };

    /// <summary>DSN actions that report a final failure (RFC 3464 §2.3.3); an empty action is a non-DSN bounce, which
    /// reports failures only.</summary>
    private static bool FailedAction(string? action) =>
        string.IsNullOrEmpty(action) || action.Equals("failed", StringComparison.OrdinalIgnoreCase);

    /// <summary>Permanent unless anything says temporary: a 4.x status, a 4yz reply (even beside a 5.x status: a relay's
    /// summary code over the remote host's own temporary answer, RFC 3463 §3.1 and RFC 5321 §4.2.1), any 4.x code
    /// the diagnostic quotes (<paramref name="quotedStatus"/>: Google's "4.0.0 … DNS temporary failure" under a 5.0.0 field),
    /// a report that calls the failure temporary (<paramref name="saysTemporary"/>, when it gives no code at all), or an
    /// action other than <c>failed</c>. Doubt keeps the address.</summary>
    public static bool IsPermanent(string? status, string? replyCode, string? action = null, string? quotedStatus = null, bool saysTemporary = false) =>
        FailedAction(action) && !saysTemporary && Class(status) != '4' && Class(replyCode) != '4' && Class(quotedStatus) != '4';

    public static bool IsHard(BounceReason reason, string? status, string? replyCode, string? action = null, string? quotedStatus = null, bool saysTemporary = false) =>
        DeadAddress.ContainsKey(reason) && IsPermanent(status, replyCode, action, quotedStatus, saysTemporary);

    private static char? Class(string? code) => string.IsNullOrEmpty(code) ? null : code[0];
}

namespace Herald.Core.Bounces;

/// <summary>
/// Hard (permanent: stop sending to the address) or soft (may work later). The reason decides,
/// following the bounce community's convention (Sisimai smtp/failure IsHardBounce): only an address
/// that does not exist, a domain that does not exist or a mailbox that has moved is hard; a host that
/// accepts no mail (null MX, RFC 7505) is hard unless the status class says 4.x. Everything else, even
/// with a 5.x code (spam filters, policy, full mailboxes), is soft, because it says nothing about the
/// address itself. Delivered, feedback and vacation are not bounces at all.
/// </summary>
public static class HardSoftPolicy
{
    public static bool IsHard(BounceReason reason, string? status, string? replyCode) => reason switch
    {
        BounceReason.UserUnknown or BounceReason.HostUnknown or BounceReason.HasMoved => true,
        BounceReason.NotAccept => !(Class(status) == '4' || (Class(status) is null && Class(replyCode) == '4')),
        _ => false,
    };

    private static char? Class(string? code) => string.IsNullOrEmpty(code) ? null : code[0];
}

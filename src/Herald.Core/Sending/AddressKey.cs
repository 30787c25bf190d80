using Herald.Core.Deliveries;

namespace Herald.Core.Sending;

/// <summary>
/// The key under which an address is marked failed or suppressed. Email compares without case: RFC 5321 lets a
/// local part be case-sensitive, but no mailbox provider schools meet treats Pat@ and pat@ as two people, and a
/// bounce quoting the address in another case must still fail it. Numbers are already canonical (E.164).
/// </summary>
public static class AddressKey
{
    public static string Of(Channel channel, string address) =>
        channel == Channel.Email ? address.Trim().ToLowerInvariant() : address.Trim();

    public static string Of(string channel, string address) =>
        Of(channel == "email" ? Channel.Email : Channel.Sms, address);
}

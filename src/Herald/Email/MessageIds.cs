using System.Security.Cryptography;

namespace Herald.Email;

/// <summary>
/// Herald's Message-IDs: <c>herald.R@DOMAIN</c>, R 128 random bits in 26 lower-case base32 characters. Opaque on
/// purpose: a Message-ID is seen by every recipient and every relay on the way, so it must name no delivery; a
/// bounce that quotes it is tied to its delivery only through the exact id stored when the message was sent.
/// </summary>
public static class MessageIds
{
    private const string Prefix = "herald.";
    /// <summary>128 bits at 5 bits a character: 25 full characters and one carrying the last 3 bits.</summary>
    private const int RandomChars = 26;

    /// <summary>A new Message-ID, without angle brackets (as MimeKit's <c>MimeMessage.MessageId</c> takes and gives it).</summary>
    public static string New(string domain) => $"{Prefix}{VerpAddress.Base32(RandomNumberGenerator.GetBytes(16))}@{domain}";

    /// <summary>The id without surrounding white space or angle brackets: headers quote ids with them, MimeKit without.</summary>
    public static string Bare(string id) => id.Trim().TrimStart('<').TrimEnd('>').Trim();

    /// <summary>True when <paramref name="id"/> (with or without angle brackets) has the shape of one Herald wrote for
    /// <paramref name="domain"/>. Only the shape: whether Herald really sent it is for the stored ids to say.</summary>
    public static bool IsOurs(string? id, string domain)
    {
        if (string.IsNullOrWhiteSpace(id)) return false;
        var bare = Bare(id);
        var at = bare.IndexOf('@');
        if (at != Prefix.Length + RandomChars || !bare.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        if (!bare.AsSpan(at + 1).Equals(domain, StringComparison.OrdinalIgnoreCase)) return false;
        foreach (var ch in bare.AsSpan(Prefix.Length, RandomChars))
            if (ch is not ((>= 'a' and <= 'z') or (>= '2' and <= '7'))) return false;
        return true;
    }
}

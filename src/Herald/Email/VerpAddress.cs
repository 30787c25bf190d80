using System.Security.Cryptography;
using System.Text;

namespace Herald.Email;

/// <summary>
/// The VERP return path <c>LOCAL+D-A-MAC@DOMAIN</c>: D the delivery id, A its attempt, MAC the first 80 bits of
/// HMAC-SHA256(secret, "D-A") in lower-case base32. Lower case and no punctuation beyond '-' because MTAs
/// lower-case and mangle local parts; the MAC means a forged bounce cannot fail someone's address.
/// </summary>
public sealed class VerpAddress(string localPart, string domain, string secret)
{
    private readonly byte[] _key = Encoding.UTF8.GetBytes(secret);

    /// <summary>Everything in <paramref name="text"/> shaped like one of these addresses (the MAC not yet checked: pass
    /// each to <see cref="Parse"/>).</summary>
    public IEnumerable<string> CandidatesIn(string text) => _shape.Matches(text).Select(m => m.Value);

    private readonly System.Text.RegularExpressions.Regex _shape = new(
        $@"\b{System.Text.RegularExpressions.Regex.Escape(localPart)}\+[0-9]+-[0-9]+-[a-z0-9]+@{System.Text.RegularExpressions.Regex.Escape(domain)}\b",
        System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant, TimeSpan.FromSeconds(2));

    public string For(long deliveryId, int attempt) => $"{localPart}+{deliveryId}-{attempt}-{Mac(deliveryId, attempt)}@{domain}";

    /// <summary>The delivery and attempt an address names, or null when it is not a VERP address of ours or its MAC is wrong.</summary>
    public (long DeliveryId, int Attempt)? Parse(string? address)
    {
        if (string.IsNullOrEmpty(address)) return null;
        var at = address.LastIndexOf('@');
        if (at <= 0 || !address.AsSpan(at + 1).Trim('>').Equals(domain, StringComparison.OrdinalIgnoreCase)) return null;
        var local = address[..at].TrimStart('<');
        var plus = local.IndexOf('+');
        if (plus <= 0 || !local.AsSpan(0, plus).Equals(localPart, StringComparison.OrdinalIgnoreCase)) return null;
        var parts = local[(plus + 1)..].Split('-');
        if (parts.Length != 3 || !long.TryParse(parts[0], out var d) || !int.TryParse(parts[1], out var a) || d <= 0 || a <= 0) return null;
        var want = Encoding.ASCII.GetBytes(Mac(d, a));
        var got = Encoding.ASCII.GetBytes(parts[2].ToLowerInvariant());
        return want.Length == got.Length && CryptographicOperations.FixedTimeEquals(want, got) ? (d, a) : null;
    }

    private string Mac(long deliveryId, int attempt)
    {
        var mac = HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes($"{deliveryId}-{attempt}"));
        return Base32(mac.AsSpan(0, 10));
    }

    /// <summary>Lower-case base32 (RFC 4648 alphabet, no padding): survives MTAs that lower-case local parts, and
    /// carries no punctuation that a relay could mangle. Also the alphabet of <see cref="MessageIds"/>.</summary>
    internal static string Base32(ReadOnlySpan<byte> bytes)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        var sb = new StringBuilder(bytes.Length * 8 / 5 + 1);
        int buffer = 0, bits = 0;
        foreach (var b in bytes)
        {
            buffer = (buffer << 8) | b; bits += 8;
            while (bits >= 5) { sb.Append(alphabet[(buffer >> (bits - 5)) & 31]); bits -= 5; }
        }
        if (bits > 0) sb.Append(alphabet[(buffer << (5 - bits)) & 31]);
        return sb.ToString();
    }
}

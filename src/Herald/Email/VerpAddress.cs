using System.Security.Cryptography;
using System.Text;

namespace Herald.Email;

/// <summary>
/// The VERP return path <c>LOCAL+T-MAC@DOMAIN</c>. T is the delivery id and attempt, encrypted (one AES block under a
/// key derived from the secret): recipients see the return path, and it must not show them Herald's sequential ids.
/// MAC is the first 80 bits of HMAC-SHA256(secret, T), so a forged bounce cannot fail someone's address. Both are
/// lower-case base32, because MTAs lower-case and mangle local parts. Addresses of the earlier form
/// <c>LOCAL+D-A-MAC</c> (D, A in clear) are still read, for bounces of mail sent before the change.
/// A keyring: addresses are made with the current secret, and read with it or any previous one
/// (<c>Herald:Email:Bounces:PreviousTokenSecrets</c>), so rotating the secret breaks no address already sent.
/// </summary>
public sealed class VerpAddress
{
    private readonly string _localPart, _domain;
    /// <summary>The current key first (it makes addresses), then the previous ones (they only read).</summary>
    private readonly Key[] _keys;
    private readonly System.Text.RegularExpressions.Regex _shape;

    private sealed class Key
    {
        public Key(string secret)
        {
            Mac = Encoding.UTF8.GetBytes(secret);
            // A key of its own for the cipher, so that the MAC key and the cipher key never coincide.
            Cipher.Key = HMACSHA256.HashData(Mac, "herald verp token cipher"u8)[..16];
        }

        public byte[] Mac { get; }
        public Aes Cipher { get; } = Aes.Create();
    }

    /// <param name="previousSecrets">Secrets used before <paramref name="secret"/>: addresses made with them still read.</param>
    public VerpAddress(string localPart, string domain, string secret, IEnumerable<string>? previousSecrets = null)
    {
        (_localPart, _domain) = (localPart, domain);
        _keys = [new Key(secret), .. (previousSecrets ?? []).Where(s => !string.IsNullOrEmpty(s) && s != secret).Distinct().Select(s => new Key(s))];
        var local = System.Text.RegularExpressions.Regex.Escape(localPart);
        _shape = new($@"\b{local}\+(?:[a-z2-7]{{26}}-[a-z2-7]{{16}}|[0-9]+-[0-9]+-[a-z0-9]+)@{System.Text.RegularExpressions.Regex.Escape(domain)}\b",
            System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant, TimeSpan.FromSeconds(2));
    }

    /// <summary>Everything in <paramref name="text"/> shaped like one of these addresses (the MAC not yet checked: pass
    /// each to <see cref="Parse"/>).</summary>
    public IEnumerable<string> CandidatesIn(string text) => _shape.Matches(text).Select(m => m.Value);

    public string For(long deliveryId, int attempt) => $"{_localPart}+{TokenFor(deliveryId, attempt)}@{_domain}";

    /// <summary>The address's token alone (<c>T-MAC</c>), as it stands between '+' and '@'.</summary>
    public string TokenFor(long deliveryId, int attempt)
    {
        var token = Base32(Encrypt(_keys[0], deliveryId, attempt));
        return $"{token}-{Mac(_keys[0], token)}";
    }

    /// <summary>The delivery and attempt a bare token (<c>T-MAC</c>) names, or null when it is malformed or no key of the
    /// keyring signed it. Only the current form: the legacy form never stood in a URL.</summary>
    public (long DeliveryId, int Attempt)? ParseToken(string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length != 43) return null;
        var parts = token.ToLowerInvariant().Split('-');
        return parts.Length == 2 ? ParseToken(parts[0], parts[1]) : null;
    }

    /// <summary>The delivery and attempt an address names, or null when it is not a VERP address of ours or its MAC is wrong.</summary>
    public (long DeliveryId, int Attempt)? Parse(string? address)
    {
        if (string.IsNullOrEmpty(address)) return null;
        var at = address.LastIndexOf('@');
        if (at <= 0 || !address.AsSpan(at + 1).Trim('>').Equals(_domain, StringComparison.OrdinalIgnoreCase)) return null;
        var local = address[..at].TrimStart('<');
        var plus = local.IndexOf('+');
        if (plus <= 0 || !local.AsSpan(0, plus).Equals(_localPart, StringComparison.OrdinalIgnoreCase)) return null;
        var parts = local[(plus + 1)..].ToLowerInvariant().Split('-');
        return parts.Length switch
        {
            2 => ParseToken(parts[0], parts[1]),
            3 => ParseLegacy(parts[0], parts[1], parts[2]),
            _ => null,
        };
    }

    private (long, int)? ParseToken(string token, string mac)
    {
        if (FromBase32(token) is not { Length: 16 } block) return null;
        var key = _keys.FirstOrDefault(k => SameMac(Mac(k, token), mac));
        if (key is null) return null;
        byte[] plain;
        lock (key.Cipher) plain = key.Cipher.DecryptEcb(block, PaddingMode.None);
        // The block's last 4 bytes are zero by construction: a second check beside the MAC.
        if (plain[12] != 0 || plain[13] != 0 || plain[14] != 0 || plain[15] != 0) return null;
        var d = System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(plain);
        var a = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(plain.AsSpan(8));
        return d > 0 && a > 0 ? (d, a) : null;
    }

    private (long, int)? ParseLegacy(string delivery, string attempt, string mac)
    {
        if (!long.TryParse(delivery, out var d) || !int.TryParse(attempt, out var a) || d <= 0 || a <= 0) return null;
        return _keys.Any(k => SameMac(Mac(k, $"{d}-{a}"), mac)) ? (d, a) : null;
    }

    private static byte[] Encrypt(Key key, long deliveryId, int attempt)
    {
        var plain = new byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(plain, deliveryId);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(plain.AsSpan(8), attempt);
        // One block, each (delivery, attempt) once: ECB of a single block is the block cipher itself.
        // The one-shot methods are not documented as thread-safe; sends build return paths in parallel.
        lock (key.Cipher) return key.Cipher.EncryptEcb(plain, PaddingMode.None);
    }

    private static string Mac(Key key, string text) => Base32(HMACSHA256.HashData(key.Mac, Encoding.ASCII.GetBytes(text)).AsSpan(0, 10));

    private static bool SameMac(string want, string got) =>
        want.Length == got.Length && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(want), Encoding.ASCII.GetBytes(got));

    private static byte[]? FromBase32(string text)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        var bytes = new List<byte>(text.Length * 5 / 8);
        int buffer = 0, bits = 0;
        foreach (var ch in text)
        {
            var v = alphabet.IndexOf(ch);
            if (v < 0) return null;
            buffer = (buffer << 5) | v; bits += 5;
            if (bits >= 8) { bytes.Add((byte)(buffer >> (bits - 8))); bits -= 8; }
        }
        return bytes.ToArray();
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

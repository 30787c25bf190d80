using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Herald.Email;

/// <summary>What a tracking token names: the delivery, its attempt, what was fetched (0 the open pixel, n ≥ 1 the
/// message's n-th tracked link) and when the message was built (Unix seconds, for the machine-open heuristics).</summary>
public readonly record struct TrackingTarget(long DeliveryId, int Attempt, int Link, long BuiltAt)
{
    public bool IsOpen => Link == 0;
}

/// <summary>
/// The tokens of <c>/o/{token}</c> and <c>/c/{token}</c>: one AES block (delivery id 6 bytes, attempt 2, link 2,
/// built-at 4, two zero bytes) encrypted under a key derived from the secret, then the first 80 bits of
/// HMAC-SHA256 over that ciphertext under another derived key; lower-case base32, 42 characters. Opaque (recipients
/// and their scanners see no ids) and unforgeable (the MAC); a mangled token fails the MAC or the zero bytes. The token
/// carries no URL: a click's destination is looked up from the announcement's own HTML, so it cannot be pointed elsewhere.
/// </summary>
public sealed class TrackingTokens
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";
    /// <summary>16 bytes of ciphertext and 10 of MAC, at 5 bits a character.</summary>
    public const int Length = 42;
    private readonly byte[] _macKey;
    private readonly Aes _cipher = Aes.Create();

    public TrackingTokens(string secret)
    {
        var key = Encoding.UTF8.GetBytes(secret);
        _macKey = HMACSHA256.HashData(key, "herald tracking token mac"u8);
        _cipher.Key = HMACSHA256.HashData(key, "herald tracking token cipher"u8)[..16];
    }

    /// <summary>A token, or null when the numbers do not fit it (a delivery id past 2^48, an attempt past 65535,
    /// more than 65535 links): that message is then sent untracked.</summary>
    public string? For(long deliveryId, int attempt, int link, DateTimeOffset builtAt)
    {
        if (deliveryId is <= 0 or >= 1L << 48 || attempt is <= 0 or > ushort.MaxValue || link is < 0 or > ushort.MaxValue) return null;
        Span<byte> plain = stackalloc byte[16];
        plain.Clear();
        BinaryPrimitives.WriteInt64BigEndian(plain, deliveryId << 16 | (uint)attempt);
        BinaryPrimitives.WriteUInt16BigEndian(plain[8..], (ushort)link);
        BinaryPrimitives.WriteUInt32BigEndian(plain[10..], (uint)Math.Clamp(builtAt.ToUnixTimeSeconds(), 0, uint.MaxValue));
        var token = new byte[26];
        lock (_cipher) _cipher.EncryptEcb(plain, token.AsSpan(0, 16), PaddingMode.None);
        HMACSHA256.HashData(_macKey, token.AsSpan(0, 16)).AsSpan(0, 10).CopyTo(token.AsSpan(16));
        return VerpAddress.Base32(token);
    }

    /// <summary>What a token names, or null for anything that is not a token of ours, whole and unchanged.</summary>
    public TrackingTarget? Parse(ReadOnlySpan<char> text)
    {
        if (text.Length != Length) return null;
        Span<byte> raw = stackalloc byte[27];
        int buffer = 0, bits = 0, n = 0;
        foreach (var ch in text)
        {
            var v = Alphabet.IndexOf(ch);
            if (v < 0) return null;
            buffer = (buffer << 5) | v; bits += 5;
            if (bits >= 8) { raw[n++] = (byte)(buffer >> (bits - 8)); bits -= 8; }
        }
        // 42 characters carry 210 bits: 26 bytes and 2 padding bits, which must be zero (one spelling per token).
        if (n != 26 || (buffer & ((1 << bits) - 1)) != 0) return null;
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_macKey, raw[..16], mac);
        if (!CryptographicOperations.FixedTimeEquals(mac[..10], raw.Slice(16, 10))) return null;
        Span<byte> plain = stackalloc byte[16];
        lock (_cipher) _cipher.DecryptEcb(raw[..16], plain, PaddingMode.None);
        if (plain[14] != 0 || plain[15] != 0) return null;
        var head = BinaryPrimitives.ReadInt64BigEndian(plain);
        var (delivery, attempt) = (head >> 16, (int)(head & 0xFFFF));
        if (delivery <= 0 || attempt <= 0) return null;
        return new TrackingTarget(delivery, attempt, BinaryPrimitives.ReadUInt16BigEndian(plain[8..]), BinaryPrimitives.ReadUInt32BigEndian(plain[10..]));
    }
}

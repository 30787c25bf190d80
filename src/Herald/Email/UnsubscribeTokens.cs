namespace Herald.Email;

/// <summary>
/// The signed tokens of the unsubscribe links and of the <c>unsubscribe+TOKEN@bounce-domain</c> mailto: a
/// <see cref="VerpAddress"/> under a secret derived from the bounce token secret (and each previous one, the keyring),
/// so an unsubscribe token can never be replayed as a bounce return path or the other way round. Tokens never expire.
/// Inactive (makes and reads nothing) without a token secret, as in the sandbox by default.
/// </summary>
public sealed class UnsubscribeTokens
{
    /// <summary>The local part of the mailto form.</summary>
    public const string LocalPart = "unsubscribe";

    private readonly VerpAddress? _tokens;

    public UnsubscribeTokens(EmailOptions email)
    {
        var b = email.Bounces;
        if (string.IsNullOrWhiteSpace(b.TokenSecret)) return;
        _tokens = new VerpAddress(LocalPart, b.Domain ?? "invalid", Derive(b.TokenSecret), b.PreviousTokenSecrets.Select(Derive));
    }

    private static string Derive(string secret) => secret + "\0unsubscribe";

    public bool Active => _tokens is not null;

    /// <summary>The token of a delivery's attempt (<c>T-MAC</c>, lower-case base32), or null when inactive.</summary>
    public string? For(long deliveryId, int attempt) => _tokens?.TokenFor(deliveryId, attempt);

    /// <summary>The mailto address of a delivery's attempt, or null when inactive.</summary>
    public string? AddressFor(long deliveryId, int attempt) => _tokens?.For(deliveryId, attempt);

    /// <summary>The delivery and attempt a token names, or null when it is forged, mangled or inactive.</summary>
    public (long DeliveryId, int Attempt)? Parse(string? token) => _tokens?.ParseToken(token);

    /// <summary>The delivery and attempt an <c>unsubscribe+TOKEN@domain</c> address names, or null.</summary>
    public (long DeliveryId, int Attempt)? ParseAddress(string? address) => _tokens?.Parse(address);

    /// <summary>Everything in <paramref name="text"/> shaped like an unsubscribe address (not yet verified).</summary>
    public IEnumerable<string> CandidatesIn(string text) => _tokens?.CandidatesIn(text) ?? [];
}

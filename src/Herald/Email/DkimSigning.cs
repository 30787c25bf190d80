using MimeKit;
using MimeKit.Cryptography;

namespace Herald.Email;

/// <summary>DKIM-signs outgoing messages with the configured key (<c>Herald:Email:Dkim</c>), relaxed/relaxed.</summary>
public sealed class DkimSigning
{
    /// <summary>The headers signed when present. From is required by RFC 6376; the unsubscribe headers are signed so
    /// a forwarder cannot swap in its own link (RFC 8058 §4 asks for them to be covered).</summary>
    private static readonly string[] SignedHeaders =
        ["From", "Reply-To", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type", "List-Unsubscribe", "List-Unsubscribe-Post"];

    private readonly DkimSigner _signer;

    /// <summary>Loads the PEM key; a key that cannot be read fails here, at start-up, naming the setting.</summary>
    public DkimSigning(DkimOptions options)
    {
        try
        {
            _signer = new DkimSigner(options.PrivateKeyFile!, options.Domain!, options.Selector!, DkimSignatureAlgorithm.RsaSha256)
            {
                HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
                BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
                AgentOrUserIdentifier = "@" + options.Domain,
            };
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidOperationException(
                $"Invalid Herald settings:\n  Herald:Email:Dkim:PrivateKeyFile: cannot read an RSA private key from {options.PrivateKeyFile}: {e.Message}", e);
        }
    }

    /// <summary>Signs in place. The message is first prepared for 7-bit transport so the relay has no reason to
    /// re-encode it (any re-encoding after signing would break the body hash).</summary>
    public void Sign(MimeMessage message)
    {
        message.Prepare(EncodingConstraint.SevenBit);
        var present = SignedHeaders.Where(h => message.Headers.Contains(h)).ToList();
        _signer.Sign(FormatOptions.Default, message, present);
    }
}

using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Herald.Email;

/// <summary>
/// Trust in a mail server's TLS certificate beyond the system's CA store (<c>Herald:Email:Smtp:TrustedCertificate</c>,
/// <c>Herald:Email:Bounces:Imap:TrustedCertificate</c>): a PEM file with a private CA (the server's chain must end in
/// one of its certificates) or the server's own self-signed certificate (which must then be the one presented,
/// byte for byte). The host name is still checked against a CA-issued certificate, dates and signatures always; there
/// is deliberately no way to accept any certificate, which would let whoever sits on the path read the password.
/// </summary>
public sealed class TrustedCertificate
{
    private readonly X509Certificate2Collection _certificates;

    private TrustedCertificate(X509Certificate2Collection certificates) => _certificates = certificates;

    /// <summary>What is wrong with the setting <paramref name="setting"/> naming <paramref name="path"/>, for the start-up error.</summary>
    public static IEnumerable<string> Problems(string setting, string? path)
    {
        if (string.IsNullOrWhiteSpace(path)) yield break;
        if (!File.Exists(path)) { yield return $"{setting}: {path} does not exist"; yield break; }
        string? error = null;
        try { if (Load(path).Count == 0) error = "no PEM certificate (-----BEGIN CERTIFICATE-----) in it"; }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException) { error = e.Message; }
        if (error is not null) yield return $"{setting}: cannot read a certificate from {path}: {error}";
    }

    /// <summary>The validation callback for <paramref name="path"/>, or null (no setting: MailKit's default, the system's trust).</summary>
    public static RemoteCertificateValidationCallback? CallbackFor(string? path) =>
        string.IsNullOrWhiteSpace(path) ? null : new TrustedCertificate(Load(path)).Validate;

    private static X509Certificate2Collection Load(string path)
    {
        var all = new X509Certificate2Collection();
        all.ImportFromPemFile(path);
        return all;
    }

    /// <summary>True when the server's certificate is one of ours exactly, or is issued for the host (no name mismatch)
    /// and chains to one of ours.</summary>
    internal bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null) return false;
        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        // Pinning a self-signed certificate: the operator said "this very certificate", whatever names it carries.
        if (_certificates.Any(c => c.RawData.AsSpan().SequenceEqual(leaf.RawData))) return true;
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
            return false;
        using var ours = new X509Chain();
        ours.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        ours.ChainPolicy.CustomTrustStore.AddRange(_certificates);
        // A private CA seldom publishes revocation lists; the system's default validation (SslStream) does not check them either.
        ours.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        // Intermediates the server sent with its certificate.
        if (chain is not null)
            foreach (var element in chain.ChainElements.Skip(1)) ours.ChainPolicy.ExtraStore.Add(element.Certificate);
        return ours.Build(leaf);
    }
}

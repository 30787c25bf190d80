using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Herald.Tests.Servers;

/// <summary>
/// A throwaway certificate authority made for one test run, and a server certificate it issued for 127.0.0.1 (and
/// localhost), as PEM files in a folder: the mail servers use the server pair for STARTTLS and TLS; Herald and the
/// tests trust <see cref="CaFile"/> through <c>TrustedCertificate</c>. Nothing is added to the system's trust store.
/// <see cref="OtherCaFile"/> is a second CA that issued nothing the servers use, for tests that must be refused.
/// </summary>
public sealed class TestCertificates
{
    public string CaFile { get; }
    public string OtherCaFile { get; }
    public string ServerCertificateFile { get; }
    public string ServerKeyFile { get; }

    private TestCertificates(string dir)
    {
        CaFile = Path.Combine(dir, "ca.pem");
        OtherCaFile = Path.Combine(dir, "other-ca.pem");
        ServerCertificateFile = Path.Combine(dir, "server.pem");
        ServerKeyFile = Path.Combine(dir, "server.key");
    }

    /// <summary>Writes a new CA, another CA and a server certificate for 127.0.0.1 into <paramref name="dir"/>.</summary>
    public static TestCertificates Create(string dir)
    {
        Directory.CreateDirectory(dir);
        var files = new TestCertificates(dir);
        var now = DateTimeOffset.UtcNow;
        using var ca = NewCa("Herald test CA", now);
        using var other = NewCa("Herald test CA nobody uses", now);
        File.WriteAllText(files.CaFile, ca.ExportCertificatePem() + "\n");
        File.WriteAllText(files.OtherCaFile, other.ExportCertificatePem() + "\n");

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1, O=Herald tests", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        using var server = request.Create(ca, now.AddMinutes(-5), now.AddDays(2), RandomNumberGenerator.GetBytes(16));
        File.WriteAllText(files.ServerCertificateFile, server.ExportCertificatePem() + "\n");
        File.WriteAllText(files.ServerKeyFile, key.ExportPkcs8PrivateKeyPem() + "\n");
        // The servers read their key as root before dropping privileges; nobody else needs it.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(files.ServerKeyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return files;
    }

    private static X509Certificate2 NewCa(string name, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(2));
    }
}

using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Starling.Interop.Tests.Listeners;

/// <summary>
/// Certificates made at test time and written as PEM files into a temporary directory: a CA, a server
/// certificate for 127.0.0.1 / localhost signed by it, a good client certificate (CN=alice) signed by it,
/// a bad client certificate (CN=mallory) from another CA, and the server certificate as a PFX too.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    public const string PfxPassword = "starling";

    private TestCertificates(string directory) => Directory = directory;

    public string Directory { get; }

    public string CaPath => File("ca.crt");

    public string ServerCertificatePath => File("server.crt");

    public string ServerKeyPath => File("server.key");

    public string ServerPfxPath => File("server.pfx");

    public string ClientCertificatePath => File("client.crt");

    public string ClientKeyPath => File("client.key");

    public string BadClientCertificatePath => File("bad-client.crt");

    public string BadClientKeyPath => File("bad-client.key");

    public X509Certificate2 Ca { get; private set; } = null!;

    public X509Certificate2 Client { get; private set; } = null!;

    public X509Certificate2 BadClient { get; private set; } = null!;

    public static TestCertificates Create()
    {
        var certificates = new TestCertificates(System.IO.Directory.CreateTempSubdirectory("starling-certs-").FullName);
        certificates.Write();
        return certificates;
    }

    public void Dispose()
    {
        Ca.Dispose();
        Client.Dispose();
        BadClient.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }

    private string File(string name) => Path.Combine(Directory, name);

    private void Write()
    {
        Ca = MakeCa("CN=Starling Test CA");
        using var otherCa = MakeCa("CN=Someone Else's CA");

        var server = Issue(Ca, "CN=localhost", serverAuth: true, san =>
        {
            san.AddDnsName("localhost");
            san.AddIpAddress(System.Net.IPAddress.Loopback);
        });
        Client = Issue(Ca, "CN=alice,O=Starling Tests", serverAuth: false, null);
        BadClient = Issue(otherCa, "CN=mallory", serverAuth: false, null);

        System.IO.File.WriteAllText(CaPath, Ca.ExportCertificatePem());
        WritePem(server, ServerCertificatePath, ServerKeyPath);
        WritePem(Client, ClientCertificatePath, ClientKeyPath);
        WritePem(BadClient, BadClientCertificatePath, BadClientKeyPath);
        System.IO.File.WriteAllBytes(ServerPfxPath, server.Export(X509ContentType.Pkcs12, PfxPassword));
        server.Dispose();
    }

    private static void WritePem(X509Certificate2 certificate, string certificatePath, string keyPath)
    {
        System.IO.File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        using var key = certificate.GetECDsaPrivateKey()!;
        System.IO.File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
    }

    private static X509Certificate2 MakeCa(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
    }

    private static X509Certificate2 Issue(X509Certificate2 ca, string subject, bool serverAuth, Action<SubjectAlternativeNameBuilder>? names)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        if (names is not null)
        {
            var san = new SubjectAlternativeNameBuilder();
            names(san);
            request.CertificateExtensions.Add(san.Build());
        }

        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7F;
        using var issued = request.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddMonths(6), serial);
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>Whether <paramref name="certificate"/> (a server's, as a TLS client sees it) chains to this test CA.</summary>
    public bool Issued(X509Certificate? certificate)
    {
        if (certificate is null)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(leaf);
    }
}

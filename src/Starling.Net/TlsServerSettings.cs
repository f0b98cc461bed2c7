using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Starling.Net;

/// <summary>Whether a TLS listener asks for client certificates.</summary>
public enum ClientCertificateRequirement
{
    /// <summary>No client certificate is asked for.</summary>
    None,

    /// <summary>A client may present one; when it does, it must be valid.</summary>
    Optional,

    /// <summary>Every client must present a valid one; others are refused during the handshake.</summary>
    Required,
}

/// <summary>
/// A TLS listener's certificate and client certificate policy, shared by our TLS transport and Kestrel's
/// secure WebSocket: TLS 1.2 and 1.3 only; client certificates validated against a CA bundle of our own
/// (not the system's trust store), without revocation checks.
/// </summary>
public sealed class TlsServerSettings : IDisposable
{
    private static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");

    private TlsServerSettings(X509Certificate2 certificate, X509Certificate2Collection intermediates, ClientCertificateRequirement clientCertificates, X509Certificate2Collection? clientCa, bool commonNameAsUsername)
    {
        Certificate = certificate;
        Intermediates = intermediates;
        ClientCertificates = clientCertificates;
        ClientCa = clientCa;
        UseCertificateCommonNameAsUsername = commonNameAsUsername;
        CertificateContext = SslStreamCertificateContext.Create(certificate, intermediates, offline: true);
    }

    /// <summary>The TLS protocols offered: 1.2 and 1.3.</summary>
    public static SslProtocols Protocols => SslProtocols.Tls12 | SslProtocols.Tls13;

    /// <summary>The server certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Further certificates of the server's chain found in the certificate file, sent to clients.</summary>
    public X509Certificate2Collection Intermediates { get; }

    /// <summary>The server certificate and its chain, ready for <see cref="SslStream"/>.</summary>
    public SslStreamCertificateContext CertificateContext { get; }

    /// <summary>Whether client certificates are asked for.</summary>
    public ClientCertificateRequirement ClientCertificates { get; }

    /// <summary>The CA certificates client certificates must chain to.</summary>
    public X509Certificate2Collection? ClientCa { get; }

    /// <summary>Whether the client certificate's subject CN becomes the client's user name.</summary>
    public bool UseCertificateCommonNameAsUsername { get; }

    /// <summary>
    /// Loads the server certificate: a PFX / PKCS#12 file (<paramref name="keyPath"/> null), or a PEM certificate
    /// (its chain may follow in the same file) with its PEM private key; <paramref name="password"/> opens the PFX
    /// or an encrypted key. <paramref name="clientCaPath"/> is a PEM bundle of the CAs client certificates must chain to.
    /// </summary>
    public static TlsServerSettings Load(string certificatePath, string? keyPath, string? password, ClientCertificateRequirement clientCertificates, string? clientCaPath, bool commonNameAsUsername)
    {
        X509Certificate2 certificate;
        var intermediates = new X509Certificate2Collection();
        if (string.IsNullOrEmpty(keyPath))
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(certificatePath, password);
            var all = X509CertificateLoader.LoadPkcs12CollectionFromFile(certificatePath, password);
            foreach (var other in all)
            {
                if (other.HasPrivateKey)
                {
                    other.Dispose();
                }
                else
                {
                    intermediates.Add(other);
                }
            }
        }
        else
        {
            certificate = string.IsNullOrEmpty(password)
                ? X509Certificate2.CreateFromPemFile(certificatePath, keyPath)
                : X509Certificate2.CreateFromEncryptedPemFile(certificatePath, password, keyPath);
            var all = new X509Certificate2Collection();
            all.ImportFromPemFile(certificatePath);
            all[0].Dispose();
            for (int i = 1; i < all.Count; i++)
            {
                intermediates.Add(all[i]);
            }
        }

        if (!certificate.HasPrivateKey)
        {
            throw new CryptographicException("the certificate has no private key");
        }

        X509Certificate2Collection? clientCa = null;
        if (!string.IsNullOrEmpty(clientCaPath))
        {
            clientCa = [];
            clientCa.ImportFromPemFile(clientCaPath);
            if (clientCa.Count == 0)
            {
                throw new CryptographicException($"no certificate in {clientCaPath}");
            }
        }

        return new TlsServerSettings(certificate, intermediates, clientCertificates, clientCa, commonNameAsUsername);
    }

    /// <summary>The subject's common name (CN), or null when it has none.</summary>
    public static string? CommonName(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        foreach (var rdn in certificate.SubjectName.EnumerateRelativeDistinguishedNames())
        {
            if (rdn.GetSingleElementType().Value == "2.5.4.3")
            {
                return rdn.GetSingleElementValue();
            }
        }

        return null;
    }

    /// <summary>Options for one <see cref="SslStream"/> handshake; <paramref name="validation"/> should call <see cref="ValidateClientCertificate"/>.</summary>
    public SslServerAuthenticationOptions CreateServerOptions(RemoteCertificateValidationCallback validation) => new()
    {
        ServerCertificateContext = CertificateContext,
        EnabledSslProtocols = Protocols,
        ClientCertificateRequired = ClientCertificates != ClientCertificateRequirement.None,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        RemoteCertificateValidationCallback = validation,
    };

    /// <summary>
    /// Decides on a client's certificate: none is fine unless one is required; one presented must chain to
    /// the configured CA bundle (and, when it names its uses, allow client authentication).
    /// </summary>
    public bool ValidateClientCertificate(X509Certificate? certificate, X509Chain? presented, out string? refusal)
    {
        if (certificate is null)
        {
            refusal = ClientCertificates == ClientCertificateRequirement.Required ? "no client certificate was presented" : null;
            return refusal is null;
        }

        if (ClientCertificates == ClientCertificateRequirement.None)
        {
            refusal = null;
            return true; // not asked for: ignored
        }

        if (ClientCa is null)
        {
            refusal = "no client CA bundle is configured";
            return false;
        }

        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(ClientCa);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(ClientAuthentication);
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                if (!element.Certificate.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span))
                {
                    chain.ChainPolicy.ExtraStore.Add(element.Certificate);
                }
            }
        }

        if (chain.Build(leaf))
        {
            refusal = null;
            return true;
        }

        var problems = chain.ChainStatus.Select(s => s.Status.ToString()).Distinct();
        refusal = $"client certificate '{leaf.Subject}' is not valid: {string.Join(", ", problems)}";
        return false;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Certificate.Dispose();
        foreach (var certificate in Intermediates)
        {
            certificate.Dispose();
        }

        foreach (var certificate in ClientCa ?? [])
        {
            certificate.Dispose();
        }
    }
}

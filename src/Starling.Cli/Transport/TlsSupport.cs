using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Starling.Cli.Transport;

/// <summary>Certificates from PEM files and the server-certificate check (system trust, a CA file, or none).</summary>
internal static class TlsSupport
{
    /// <summary>The callback checking the broker's certificate, or null for the system's default validation.</summary>
    public static RemoteCertificateValidationCallback? CreateValidator(TransportSettings settings)
    {
        if (settings.Insecure)
        {
            // --insecure is the user's explicit choice, for test brokers with self-signed certificates.
#pragma warning disable CA5359
            return static (_, _, _, _) => true;
#pragma warning restore CA5359
        }

        if (settings.CaFile is null)
        {
            return null;
        }

        var authorities = LoadAuthorities(settings.CaFile);
        return (_, certificate, _, errors) =>
        {
            if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
            {
                return false; // no certificate, or a name mismatch: the CA file does not excuse those
            }

            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
            var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            return chain.Build(leaf);
        };
    }

    public static X509Certificate2Collection LoadAuthorities(string caFile)
    {
        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPemFile(caFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new CliException($"cannot read the CA file '{caFile}': {ex.Message}");
        }

        if (authorities.Count == 0)
        {
            throw new CliException($"the CA file '{caFile}' holds no PEM certificate.");
        }

        return authorities;
    }

    /// <summary>The client certificate from PEM files (the key may be in the certificate file), or null.</summary>
    public static X509Certificate2Collection? LoadClientCertificate(TransportSettings settings)
    {
        if (settings.CertFile is null)
        {
            return null;
        }

        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(settings.CertFile, settings.KeyFile);

            // Re-import so the private key is usable by SslStream on every platform.
            return [X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null)];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new CliException($"cannot load the client certificate '{settings.CertFile}'{(settings.KeyFile is null ? "" : $" with key '{settings.KeyFile}'")}: {ex.Message}");
        }
    }
}

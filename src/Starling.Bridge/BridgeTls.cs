using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace Starling.Bridge;

/// <summary>Opens the TLS stream to the remote broker: its certificate checked against the configured CA (or the system's), the client certificate offered when one is configured.</summary>
internal static class BridgeTls
{
    public static async ValueTask<Stream> ConnectAsync(BridgeOptions options, CancellationToken cancellationToken)
    {
        var tls = options.Tls;
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        SslStream? stream = null;
        try
        {
            await socket.ConnectAsync(options.Address, options.EffectivePort, cancellationToken).ConfigureAwait(false);
            stream = new SslStream(new NetworkStream(socket, ownsSocket: true));
            var authentication = new SslClientAuthenticationOptions { TargetHost = tls.ServerName ?? options.Address };
            if (tls.CaFile is { Length: > 0 } caFile)
            {
                // Only the configured CA is trusted, as mosquitto's bridge_cafile: a certificate the system trusts is not enough.
                var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
                policy.CustomTrustStore.ImportFromPemFile(caFile);
                authentication.CertificateChainPolicy = policy;
            }

            if (tls.CertificateFile is { Length: > 0 } certificateFile)
            {
                using var pem = X509Certificate2.CreateFromPemFile(certificateFile, tls.KeyFile);
                // Exported and loaded again: SslStream needs a key it can use on every platform, not an ephemeral one.
                var certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
                authentication.ClientCertificates = [certificate];
            }

            await stream.AuthenticateAsClientAsync(authentication, cancellationToken).ConfigureAwait(false);
            return stream;
        }
        catch
        {
            if (stream is not null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                socket.Dispose();
            }

            throw;
        }
    }
}

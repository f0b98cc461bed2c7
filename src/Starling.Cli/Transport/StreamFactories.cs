using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;

namespace Starling.Cli.Transport;

/// <summary>Opens the byte stream for <see cref="Starling.Mqtt.Client.MqttClientOptions.StreamFactory"/>: TLS or WebSocket.</summary>
internal static class StreamFactories
{
    /// <summary>The factory for <paramref name="settings"/>, or null for plain TCP (the client's default).</summary>
    public static Func<CancellationToken, ValueTask<Stream>>? Create(TransportSettings settings)
    {
        if (settings.WebSocketUrl is { } url)
        {
            var validator = TlsSupport.CreateValidator(settings);
            var certificates = TlsSupport.LoadClientCertificate(settings);
            return ct => OpenWebSocketAsync(url, validator, certificates, ct);
        }

        if (settings.Tls)
        {
            var validator = TlsSupport.CreateValidator(settings);
            var certificates = TlsSupport.LoadClientCertificate(settings);
            return ct => OpenTlsAsync(settings, validator, certificates, ct);
        }

        return null;
    }

    private static async ValueTask<Stream> OpenTlsAsync(TransportSettings settings, RemoteCertificateValidationCallback? validator, System.Security.Cryptography.X509Certificates.X509Certificate2Collection? certificates, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(settings.Host, settings.Port, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var tls = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
        try
        {
            await tls.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions
                {
                    TargetHost = settings.Host,
                    RemoteCertificateValidationCallback = validator,
                    ClientCertificates = certificates,
                },
                cancellationToken).ConfigureAwait(false);
            return tls;
        }
        catch
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async ValueTask<Stream> OpenWebSocketAsync(Uri url, RemoteCertificateValidationCallback? validator, System.Security.Cryptography.X509Certificates.X509Certificate2Collection? certificates, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("mqtt");
        socket.Options.KeepAliveInterval = TimeSpan.Zero; // MQTT has its own keep-alive
        if (validator is not null)
        {
            socket.Options.RemoteCertificateValidationCallback = validator;
        }

        if (certificates is not null)
        {
            socket.Options.ClientCertificates = certificates;
        }

        try
        {
            await socket.ConnectAsync(url, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return WebSocketStream.Create(socket, WebSocketMessageType.Binary, ownsWebSocket: true);
    }
}

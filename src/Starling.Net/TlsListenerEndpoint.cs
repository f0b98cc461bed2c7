using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;
using Starling.Broker;

namespace Starling.Net;

/// <summary>
/// A TLS listener on our own socket transport: accept, OnAccept, the TLS handshake through
/// <see cref="System.Net.Security.SslStream"/> (TLS 1.2 and 1.3, client certificates as configured) within the
/// handshake timeout, then MQTT. A refused client certificate ends the connection during the handshake, and is logged.
/// </summary>
public sealed class TlsListenerEndpoint : SocketListenerEndpoint
{
    private readonly TlsServerSettings _settings;

    /// <summary>Creates a listener; nothing is bound until <see cref="SocketListenerEndpoint.Start"/>.</summary>
    public TlsListenerEndpoint(MqttBroker broker, IPEndPoint endPoint, string name, TlsServerSettings settings, ListenerLimits limits, ILogger logger)
        : base(broker, endPoint, name, limits, logger)
    {
        _settings = settings;
    }

    /// <inheritdoc />
    public override string Type => "tls";

    private protected override StreamConnection CreateTransport(Socket socket) => new TlsConnection(socket, Name, _settings);

    private protected override async Task<bool> HandshakeAsync(IAcceptedConnection transport, CancellationToken cancellationToken)
    {
        var tls = (TlsConnection)transport;
        try
        {
            await tls.AuthenticateAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            if (tls.Refusal is { } refusal)
            {
                NetLog.ClientCertificateRefused(Logger, Name, transport.RemoteEndPoint, refusal);
            }
            else if (!cancellationToken.IsCancellationRequested)
            {
                NetLog.TlsHandshakeFailed(Logger, Name, transport.RemoteEndPoint, ex.Message);
            }

            return false;
        }
    }
}

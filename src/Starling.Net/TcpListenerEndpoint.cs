using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Starling.Broker;

namespace Starling.Net;

/// <summary>A plain TCP listener on our own socket transport.</summary>
public sealed class TcpListenerEndpoint : SocketListenerEndpoint
{
    /// <summary>Creates a listener without a connection limit; nothing is bound until <see cref="SocketListenerEndpoint.Start"/>.</summary>
    public TcpListenerEndpoint(MqttBroker broker, IPEndPoint endPoint, string name, ILogger logger)
        : this(broker, endPoint, name, ListenerLimits.None, logger)
    {
    }

    /// <summary>Creates a listener with limits; nothing is bound until <see cref="SocketListenerEndpoint.Start"/>.</summary>
    public TcpListenerEndpoint(MqttBroker broker, IPEndPoint endPoint, string name, ListenerLimits limits, ILogger logger)
        : base(broker, endPoint, name, limits, logger)
    {
    }

    /// <inheritdoc />
    public override string Type => "tcp";

    private protected override StreamConnection CreateTransport(Socket socket) => new TcpConnection(socket, Name);
}

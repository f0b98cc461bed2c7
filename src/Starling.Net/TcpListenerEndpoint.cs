using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Starling.Broker;
using Starling.Net.Epoll;

namespace Starling.Net;

/// <summary>
/// A plain TCP listener on our own socket transport: on Linux the epoll transport (<see cref="EpollConnection"/>,
/// about a kilobyte less per connection than a <see cref="Socket"/> with a pending receive), elsewhere or when
/// asked, <see cref="TcpConnection"/> over <see cref="Socket"/>.
/// </summary>
public sealed class TcpListenerEndpoint : SocketListenerEndpoint
{
    private EpollAcceptor? _acceptor;

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

    /// <summary>Whether the platform has the epoll transport (Linux).</summary>
    public static bool IsEpollSupported => EpollLoop.IsSupported;

    /// <summary>
    /// Whether connections use the epoll transport; true by default where it is supported. False uses
    /// <see cref="Socket"/> (the transport of every other platform). Set before <see cref="SocketListenerEndpoint.Start"/>.
    /// </summary>
    public bool UseEpoll { get; init; } = EpollLoop.IsSupported;

    /// <inheritdoc />
    public override string Type => "tcp";

    private protected override StreamConnection CreateTransport(Socket socket) => new TcpConnection(socket, Name);

    private protected override Task StartAccepting(Socket listener)
    {
        if (!UseEpoll)
        {
            return base.StartAccepting(listener);
        }

        if (!EpollLoop.IsSupported)
        {
            throw new PlatformNotSupportedException("The epoll transport needs Linux.");
        }

        return EpollAcceptor.Start(listener, Name, Logger, Serve, out _acceptor);
    }

    private protected override void StopAccepting(Socket listener) => _acceptor?.Stop();
}

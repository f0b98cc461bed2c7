using System.Net;

namespace Starling.Broker.Transport;

/// <summary>
/// What a transport (TCP, TLS, WebSocket, an in-memory pipe in tests) offers the engine. The transport
/// pushes received bytes into <see cref="IConnectionEngine.ReceiveAsync"/> and reports the end of the
/// connection with <see cref="IConnectionEngine.TransportClosedAsync"/>; the engine sends through
/// <see cref="SendAsync(ReadOnlyMemory{byte}, CancellationToken)"/>, one call at a time, and asks for the end with <see cref="Close"/>.
/// </summary>
public interface IConnectionTransport
{
    /// <summary>The peer's address.</summary>
    EndPoint? RemoteEndPoint { get; }

    /// <summary>The local address.</summary>
    EndPoint? LocalEndPoint { get; }

    /// <summary>The name of the listener that accepted the connection.</summary>
    string ListenerName { get; }

    /// <summary>
    /// The user name the transport vouches for (a TLS client certificate's subject CN, when the listener takes
    /// it as the user name); it replaces the CONNECT's user name. Null otherwise.
    /// </summary>
    string? CertificateUsername => null;

    /// <summary>Sends bytes. The engine never calls it again before the previous call completed.</summary>
    ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>
    /// Sends <paramref name="segments"/> in order as one stream of bytes (a batch whose large payloads are shared
    /// with other connections). The engine never calls it again before the previous call completed. Transports
    /// with a vectored send (TCP, epoll) hand the segments to the kernel; the others gather them into one pooled
    /// buffer (Starling.Net's <c>GatheredSend</c>): how to send is the transport's business, not the engine's.
    /// </summary>
    ValueTask SendAsync(IList<ArraySegment<byte>> segments, CancellationToken cancellationToken);

    /// <summary>Closes the network connection; pending receives and sends end. Safe to call more than once.</summary>
    void Close();

    /// <summary>
    /// The engine has sent its last bytes (a DISCONNECT with a reason, a refusing CONNACK): end the output (TCP FIN, TLS
    /// close_notify, WebSocket close frame), keep reading and discarding what the peer still sends until it closes or
    /// <paramref name="linger"/> passes, then close. A peer that keeps writing after our last packet then reads that packet
    /// and meets no reset, which closing with unread bytes in the receive buffer would send. The end is reported as for
    /// <see cref="Close"/>. Transports that cannot do this close at once.
    /// </summary>
    void CloseGracefully(TimeSpan linger) => Close();
}

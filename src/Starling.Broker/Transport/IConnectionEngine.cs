using System.Buffers;

namespace Starling.Broker.Transport;

/// <summary>
/// What a transport needs of the engine, and nothing more: somewhere to push received bytes, a way to report the end
/// of the connection, and whether the CONNECT was accepted (a handshake deadline no longer applies once it was).
/// Transports hold this instead of the engine class (<c>MqttConnection</c>), so that changing the engine's packet handling never
/// touches a transport, and a transport can be read without knowing the engine.
/// </summary>
/// <remarks>The engine's own deadlines (connect, keep-alive, send) are ticked by the broker's sweep, not by transports.</remarks>
public interface IConnectionEngine
{
    /// <summary>Whether CONNECT was accepted and the connection is not closing.</summary>
    bool IsConnected { get; }

    /// <summary>
    /// Feeds received bytes. Whole packets are handled in order; the return value is how many bytes were consumed,
    /// and the transport keeps the rest (a partial packet) for the next call. The declared length of a packet is
    /// checked against the maximum packet size as soon as its fixed header is in, before the transport is asked to
    /// buffer more. Never called again before the previous call completed.
    /// </summary>
    ValueTask<long> ReceiveAsync(ReadOnlySequence<byte> data);

    /// <summary>The network connection has closed (whichever side closed it). Called once, after the last receive.</summary>
    ValueTask TransportClosedAsync();
}

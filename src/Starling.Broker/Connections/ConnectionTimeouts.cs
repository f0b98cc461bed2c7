namespace Starling.Broker.Connections;

/// <summary>Which of a connection's deadlines has passed.</summary>
internal enum ConnectionTimeout
{
    None,

    /// <summary>The socket took no bytes for <see cref="BrokerOptions.SendTimeoutSeconds"/>: the client stopped reading.</summary>
    Send,

    /// <summary>No CONNECT was accepted within <see cref="BrokerOptions.ConnectTimeoutSeconds"/>.</summary>
    Connect,

    /// <summary>Nothing was received for 1.5 keep-alive intervals [MQTT-3.1.2-24].</summary>
    KeepAlive,
}

/// <summary>
/// A connection's deadlines in one place, as Kestrel's TimeoutControl: connect, keep-alive and send. Nothing here runs
/// a timer; the broker's sweep asks <see cref="Expired"/> about once a second, so a connection costs no timer and the
/// check costs a few comparisons. A struct held inline by the connection, so an idle connection carries no extra object.
/// The TLS and WebSocket handshakes, which happen before the engine has a connection, keep their own deadline in the
/// transport (Starling.Net's HandshakeDeadline), because it must cancel the handshake's await.
/// </summary>
internal struct ConnectionTimeouts
{
    private readonly long _openedAt;
    private long _lastReceivedAt;
    private ushort _keepAliveSeconds;

    private ConnectionTimeouts(long now)
    {
        _openedAt = now;
        _lastReceivedAt = now;
    }

    /// <summary>The clocks of a connection opened at <paramref name="now"/> (milliseconds, <see cref="Environment.TickCount64"/>).</summary>
    public static ConnectionTimeouts StartingAt(long now) => new(now);

    /// <summary>CONNECT (or the server's override, Server Keep Alive) sets the interval.</summary>
    public void SetKeepAlive(ushort seconds) => _keepAliveSeconds = seconds;

    /// <summary>A packet arrived: the keep-alive interval restarts. Called per packet, so it is one store.</summary>
    public void PacketReceived(long now) => Volatile.Write(ref _lastReceivedAt, now);

    /// <summary>
    /// The deadline that has passed at <paramref name="now"/>, if any. <paramref name="sendingSince"/> is when the send
    /// in progress started (0: none); the send deadline comes first, since a client that stopped reading is told
    /// nothing more. The connect deadline applies while CONNECT is awaited, the keep-alive one while connected; a
    /// closing connection has only the send deadline.
    /// </summary>
    public ConnectionTimeout Expired(long now, bool awaitingConnect, bool connected, long sendingSince, BrokerOptions options)
    {
        if (sendingSince != 0 && now - sendingSince > options.SendTimeoutSeconds * 1000L)
        {
            return ConnectionTimeout.Send;
        }

        if (awaitingConnect)
        {
            return now - _openedAt > options.ConnectTimeoutSeconds * 1000L ? ConnectionTimeout.Connect : ConnectionTimeout.None;
        }

        return connected && _keepAliveSeconds > 0 && now - Volatile.Read(ref _lastReceivedAt) > _keepAliveSeconds * 1500L
            ? ConnectionTimeout.KeepAlive
            : ConnectionTimeout.None;
    }
}

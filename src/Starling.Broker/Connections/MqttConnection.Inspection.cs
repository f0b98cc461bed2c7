using Starling.Broker.Diagnostics;
using Starling.Broker.Hooks;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Broker.Connections;

/// <summary>What the admin API reads of a connection, and its kick.</summary>
public sealed partial class MqttConnection
{
    private int _keepAliveSeconds;
    private DateTimeOffset _connectedAt;

    /// <summary>The connection as the admin API lists it; null before its CONNECT was accepted.</summary>
    internal ClientSnapshot? Snapshot()
    {
        if (_client is not { } client || _state != StateConnected)
        {
            return null;
        }

        var session = _session;
        return new ClientSnapshot(
            client.ClientId,
            client.Username,
            _version,
            client.RemoteEndPoint,
            client.ListenerName,
            _keepAliveSeconds,
            _connectedAt,
            session?.InflightCount ?? 0,
            session?.PendingCount ?? 0,
            session?.SubscriptionCount ?? 0);
    }

    /// <summary>Disconnects the client on an administrator's request: 5.0 gets DISCONNECT 0x98 (Administrative action) first.</summary>
    internal void Kick()
    {
        WriteDisconnectIfV5(MqttReasonCode.AdministrativeAction);
        CloseConnection(CloseReason.AdministrativeAction);
    }

    private void RecordConnected(ushort keepAlive)
    {
        _keepAliveSeconds = keepAlive;
        _connectedAt = DateTimeOffset.UtcNow;
    }

    /// <summary>Tells the observer, if any, of a packet read or written (not PUBLISH: those are seen as messages).</summary>
    private void ObservePacket(bool incoming, MqttPacketType type, int size)
    {
        if (_broker.Observer is { } observer && _client is { } client && _state == StateConnected)
        {
            observer.OnPacket(client.ClientId, incoming, type, size);
        }
    }

    private void ObservePacket(MqttPacket packet) => ObservePacket(incoming: false, packet.Type, size: 0);
}

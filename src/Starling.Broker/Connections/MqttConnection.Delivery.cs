using Starling.Broker.Routing;
using Starling.Broker.Sessions;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Broker.Connections;

/// <summary>The connection as its session sees it (<see cref="ISessionConnection"/>): deliveries go to the output.</summary>
public sealed partial class MqttConnection : ISessionConnection
{
    /// <inheritdoc />
    int ISessionConnection.SendWindow => Math.Min(_sendWindow, _broker.Options.MaximumInflightMessages);

    /// <inheritdoc />
    bool ISessionConnection.IsSendBufferFull => _output.IsFull;

    /// <inheritdoc />
    bool ISessionConnection.FitsClient(in OutgoingMessage message, out MqttPublishOverrides overrides) => _output.Fits(message, out overrides);

    /// <inheritdoc />
    bool ISessionConnection.TryWritePublish(in OutgoingMessage message, MqttPublishOverrides overrides, ushort packetId, bool dup)
    {
        if (!_output.TryWritePublish(message, overrides, packetId, dup))
        {
            return false;
        }

        if (_broker.Observer is { } observer && _client is { } client)
        {
            observer.OnDeliver(client.ClientId, message, packetId);
        }

        return true;
    }

    /// <inheritdoc />
    void ISessionConnection.WritePubRel(ushort packetId, MqttReasonCode reasonCode) => WritePubRel(packetId, reasonCode);

    /// <inheritdoc />
    void ISessionConnection.OnAttachedLocked(Session session, bool sessionPresent, ConnAckPacket connack) => OnAttachedLocked(session, sessionPresent, connack);

    /// <inheritdoc />
    void ISessionConnection.TakeOver() => TakeOver();
}

using Starling.Broker.Hooks;
using Starling.Broker.Routing;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Broker.Connections;

/// <summary>What the connection writes: its answers, the deliveries its session hands it, and its end (<see cref="ConnectionOutput"/> does the sending).</summary>
public sealed partial class MqttConnection : IOutputOwner
{
    private readonly ConnectionOutput _output;
    private int _sendWindow = int.MaxValue;

    /// <summary>How many QoS 1 and 2 messages may be in flight to this client.</summary>
    internal int SendWindow => Math.Min(_sendWindow, _broker.Options.MaximumInflightMessages);

    /// <summary>Whether the bytes waiting to go out reach the configured limit; a slow reader stops getting more.</summary>
    internal bool IsSendBufferFull => _output.IsFull;

    /// <summary>
    /// Encodes a PUBLISH for this client, with the 5.0 <paramref name="overrides"/> that <see cref="FitsClient"/>
    /// worked out for it. QoS 0 is refused (false) when the send buffer is full; QoS 1 and 2 are held to the
    /// in-flight window by the session, so they are always written.
    /// </summary>
    internal bool TryWritePublish(in OutgoingMessage message, MqttPublishOverrides overrides, ushort packetId, bool dup) =>
        _output.TryWritePublish(message, overrides, packetId, dup);

    /// <summary>
    /// Whether the PUBLISH fits the client's 5.0 Maximum Packet Size [MQTT-3.1.2-25], with the delivery's overrides for
    /// <see cref="TryWritePublish"/>, which is always called right after (see <see cref="PublishShaper"/>).
    /// </summary>
    internal bool FitsClient(in OutgoingMessage message, out MqttPublishOverrides overrides) => _output.Fits(message, out overrides);

    internal void WritePubRel(ushort packetId, MqttReasonCode reasonCode) =>
        WritePacket(new PubRelPacket { PacketId = packetId, ReasonCode = reasonCode });

    internal void WritePacket(MqttPacket packet) => _output.Write(packet, _version);

    /// <inheritdoc />
    void IOutputOwner.OnOutputDrained() => _session?.Pump(); // room in the send buffer again: let the session move queued messages into it

    private void WritePacket(MqttPacket packet, MqttProtocolVersion version) => _output.Write(packet, version);

    private void WriteDisconnectIfV5(MqttReasonCode reasonCode)
    {
        if (_version == MqttProtocolVersion.V500 && _state == StateConnected)
        {
            WritePacket(new DisconnectPacket { ReasonCode = reasonCode });
        }
    }

    /// <summary>
    /// Starts closing: nothing more is read or queued, what is already in the send buffer still goes out
    /// (a CONNACK refusal, a DISCONNECT with its reason), then the transport is closed.
    /// </summary>
    internal void CloseConnection(CloseReason reason)
    {
        while (true)
        {
            int state = _state;
            if (state >= StateClosing)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref _state, StateClosing, state) == state)
            {
                break;
            }
        }

        _closeReason = reason;
        _output.Complete();
    }
}

using Starling.Broker.Hooks;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Broker.Connections;

/// <summary>What the connection writes: its answers, the deliveries its session hands it, and its end (<see cref="ConnectionOutput"/> does the sending).</summary>
public sealed partial class MqttConnection : IOutputOwner
{
    private readonly ConnectionOutput _output;
    private int _sendWindow = int.MaxValue;

    internal void WritePubRel(ushort packetId, MqttReasonCode reasonCode) =>
        WritePacket(new PubRelPacket { PacketId = packetId, ReasonCode = reasonCode });

    internal void WritePacket(MqttPacket packet)
    {
        _output.Write(packet, _version);
        ObservePacket(packet);
    }

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

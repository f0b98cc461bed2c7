using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Broker.Connections;

/// <summary>PUBACK, PUBREC and PUBCOMP from a client: the acknowledgements of what the broker sent it.</summary>
public sealed partial class MqttConnection
{
    private void HandlePubAck(PubAckPacket packet) =>
        _session!.Acknowledge(packet.PacketId, MqttQualityOfService.AtLeastOnce); // frees the in-flight slot (section 4.3.2)

    private void HandlePubRec(PubRecPacket packet)
    {
        var session = _session!;
        if (packet.ReasonCode.IsFailure())
        {
            // 5.0: a PUBREC with an error code ends the QoS 2 flow; nothing more is sent for it.
            session.Discard(packet.PacketId);
            return;
        }

        bool known = session.MarkReleased(packet.PacketId);

        // PUBREC is answered with PUBREL (section 4.3.3); 5.0 says 0x92 for an id we do not hold.
        WritePubRel(packet.PacketId, known ? MqttReasonCode.Success : MqttReasonCode.PacketIdentifierNotFound);
    }

    private void HandlePubComp(PubCompPacket packet) =>
        _session!.Acknowledge(packet.PacketId, MqttQualityOfService.ExactlyOnce);
}

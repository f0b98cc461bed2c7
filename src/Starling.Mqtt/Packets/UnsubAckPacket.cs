namespace Starling.Mqtt.Packets;

/// <summary>UNSUBACK (section 3.11).</summary>
public sealed class UnsubAckPacket : MqttPacket
{
    /// <inheritdoc />
    public override MqttPacketType Type => MqttPacketType.UnsubAck;

    /// <summary>The packet identifier of the UNSUBSCRIBE.</summary>
    public ushort PacketId { get; set; }

    /// <summary>One reason code per filter (5.0 only; 3.1.1 UNSUBACK has no payload).</summary>
    public List<MqttReasonCode> ReasonCodes { get; set; } = [];

    /// <summary>UNSUBACK properties (5.0 only).</summary>
    public MqttProperties? Properties { get; set; }
}

namespace Starling.Mqtt.Packets;

/// <summary>SUBACK (section 3.9): one reason code per requested filter, in order.</summary>
public sealed class SubAckPacket : MqttPacket
{
    /// <inheritdoc />
    public override MqttPacketType Type => MqttPacketType.SubAck;

    /// <summary>The packet identifier of the SUBSCRIBE.</summary>
    public ushort PacketId { get; set; }

    /// <summary>Granted QoS (0x00-0x02) or a failure code per filter; 3.1.1 writes every failure as 0x80.</summary>
    public List<MqttReasonCode> ReasonCodes { get; set; } = [];

    /// <summary>SUBACK properties (5.0 only).</summary>
    public MqttProperties? Properties { get; set; }
}

namespace Starling.Mqtt.Packets;

/// <summary>The shape shared by PUBACK, PUBREC, PUBREL and PUBCOMP: a packet id, and in 5.0 a reason code and properties.</summary>
public abstract class PublishAckPacket : MqttPacket
{
    /// <summary>The packet identifier being acknowledged.</summary>
    public ushort PacketId { get; set; }

    /// <summary>The reason code (5.0 only; 0 Success otherwise).</summary>
    public MqttReasonCode ReasonCode { get; set; }

    /// <summary>Properties (5.0 only).</summary>
    public MqttProperties? Properties { get; set; }
}

/// <summary>PUBACK (section 3.4).</summary>
public sealed class PubAckPacket : PublishAckPacket
{
    /// <inheritdoc />
    public override MqttPacketType Type => MqttPacketType.PubAck;
}

/// <summary>PUBREC (section 3.5).</summary>
public sealed class PubRecPacket : PublishAckPacket
{
    /// <inheritdoc />
    public override MqttPacketType Type => MqttPacketType.PubRec;
}

/// <summary>PUBREL (section 3.6). Its fixed-header flags are 0010.</summary>
public sealed class PubRelPacket : PublishAckPacket
{
    /// <inheritdoc />
    public override MqttPacketType Type => MqttPacketType.PubRel;
}

/// <summary>PUBCOMP (section 3.7).</summary>
public sealed class PubCompPacket : PublishAckPacket
{
    /// <inheritdoc />
    public override MqttPacketType Type => MqttPacketType.PubComp;
}

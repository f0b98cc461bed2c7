namespace Starling.Mqtt.Packets;

/// <summary>CONNACK (section 3.2).</summary>
public sealed class ConnAckPacket : MqttPacket
{
    /// <inheritdoc />
    public override MqttPacketType Type => MqttPacketType.ConnAck;

    /// <summary>Session Present. Always written as 0 for 3.1, which has no such flag.</summary>
    public bool SessionPresent { get; set; }

    /// <summary>The reason code; written as a 3.1.1 return code for older versions.</summary>
    public MqttReasonCode ReasonCode { get; set; }

    /// <summary>CONNACK properties (5.0 only).</summary>
    public MqttProperties? Properties { get; set; }
}

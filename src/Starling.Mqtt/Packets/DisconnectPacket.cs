namespace Starling.Mqtt.Packets;

/// <summary>DISCONNECT (section 3.14). In 5.0 either side may send it, with a reason code.</summary>
public sealed class DisconnectPacket : MqttPacket
{
    /// <inheritdoc />
    public override MqttPacketType Type => MqttPacketType.Disconnect;

    /// <summary>The reason code (5.0 only).</summary>
    public MqttReasonCode ReasonCode { get; set; }

    /// <summary>DISCONNECT properties (5.0 only).</summary>
    public MqttProperties? Properties { get; set; }
}

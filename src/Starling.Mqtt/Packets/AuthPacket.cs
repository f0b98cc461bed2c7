namespace Starling.Mqtt.Packets;

/// <summary>AUTH (section 3.15, 5.0 only): enhanced authentication.</summary>
public sealed class AuthPacket : MqttPacket
{
    /// <inheritdoc />
    public override MqttPacketType Type => MqttPacketType.Auth;

    /// <summary>0x00 Success, 0x18 Continue authentication or 0x19 Re-authenticate.</summary>
    public MqttReasonCode ReasonCode { get; set; }

    /// <summary>AUTH properties: Authentication Method and Data, Reason String, user properties.</summary>
    public MqttProperties? Properties { get; set; }
}

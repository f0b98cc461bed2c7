namespace Starling.Mqtt;

/// <summary>Maps between MQTT 5.0 reason codes and the MQTT 3.1 / 3.1.1 return codes.</summary>
public static class MqttReasonCodeMapping
{
    /// <summary>The 3.1.1 CONNACK return code for a 5.0 reason code (section 3.2.2.3 of 3.1.1).</summary>
    public static byte ToV3ConnectReturnCode(MqttReasonCode code) => code switch
    {
        MqttReasonCode.Success => 0x00,
        MqttReasonCode.UnsupportedProtocolVersion => 0x01,
        MqttReasonCode.ClientIdentifierNotValid => 0x02,
        MqttReasonCode.BadUserNameOrPassword => 0x04,
        MqttReasonCode.NotAuthorized or MqttReasonCode.Banned or MqttReasonCode.BadAuthenticationMethod => 0x05,
        _ => 0x03, // server unavailable: the closest 3.1.1 meaning for any other refusal
    };

    /// <summary>The 5.0 reason code for a 3.1.1 CONNACK return code.</summary>
    public static MqttReasonCode FromV3ConnectReturnCode(byte code) => code switch
    {
        0x00 => MqttReasonCode.Success,
        0x01 => MqttReasonCode.UnsupportedProtocolVersion,
        0x02 => MqttReasonCode.ClientIdentifierNotValid,
        0x03 => MqttReasonCode.ServerUnavailable,
        0x04 => MqttReasonCode.BadUserNameOrPassword,
        0x05 => MqttReasonCode.NotAuthorized,
        _ => throw new MqttProtocolException(MqttReasonCode.MalformedPacket, "MQTT-3.2.2-3.1.1", "CONNACK return code is not 0 to 5"),
    };

    /// <summary>The 3.1.1 SUBACK return code: granted QoS 0, 1, 2, or 0x80 for any failure.</summary>
    public static byte ToV3SubAckReturnCode(MqttReasonCode code) => (byte)code < 0x80 ? (byte)code : (byte)0x80;

    /// <summary>
    /// Whether a 5.0 packet of <paramref name="type"/> may carry <paramref name="code"/> (PUBACK, PUBREC, PUBREL,
    /// PUBCOMP, DISCONNECT and AUTH each have their own table); a receiver treats any other code as malformed.
    /// </summary>
    public static bool IsAllowedIn(this MqttReasonCode code, MqttPacketType type) => Reading.ReasonCodeRules.IsAllowed(type, (byte)code);

    /// <summary>True for reason codes of 0x80 and above, which signal failure.</summary>
    public static bool IsFailure(this MqttReasonCode code) => (byte)code >= 0x80;
}

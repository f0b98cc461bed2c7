using Starling.Mqtt.Primitives;

namespace Starling.Mqtt.Reading;

/// <summary>
/// The reason codes each 5.0 packet may carry (section 2.4 and each packet's reason code table). A value outside
/// its packet's table makes the packet malformed, so a receiver refuses it with 0x81 instead of acting on a code
/// it cannot interpret.
/// </summary>
internal static class ReasonCodeRules
{
    /// <summary>Returns <paramref name="code"/> when <paramref name="type"/> may carry it; throws a Malformed Packet error otherwise.</summary>
    public static MqttReasonCode Check(MqttPacketType type, byte code)
    {
        if (!IsAllowed(type, code))
        {
            throw MqttErrors.Malformed(
                "reason-code-invalid",
                $"Reason code 0x{code:X2} is not one that {type.ToString().ToUpperInvariant()} may carry.");
        }

        return (MqttReasonCode)code;
    }

    /// <summary>Whether a 5.0 <paramref name="type"/> may carry <paramref name="code"/>; true for packets without a table here.</summary>
    public static bool IsAllowed(MqttPacketType type, byte code) => type switch
    {
        // Sections 3.4.2.1 and 3.5.2.1.
        MqttPacketType.PubAck or MqttPacketType.PubRec => code is 0x00 or 0x10 or 0x80 or 0x83 or 0x87 or 0x90 or 0x91 or 0x97 or 0x99,

        // Sections 3.6.2.1 and 3.7.2.1.
        MqttPacketType.PubRel or MqttPacketType.PubComp => code is 0x00 or 0x92,

        // Section 3.14.2.1: every code either side may send.
        MqttPacketType.Disconnect => code is 0x00 or 0x04 or (>= 0x80 and <= 0x83) or 0x87 or 0x89 or 0x8B
            or (>= 0x8D and <= 0x90) or (>= 0x93 and <= 0xA2),

        // Section 3.15.2.1.
        MqttPacketType.Auth => code is 0x00 or 0x18 or 0x19,
        _ => true,
    };
}

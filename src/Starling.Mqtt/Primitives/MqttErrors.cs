namespace Starling.Mqtt.Primitives;

/// <summary>Shorthands that build the codec's exceptions.</summary>
internal static class MqttErrors
{
    /// <summary>A Malformed Packet (0x81) error.</summary>
    public static MqttProtocolException Malformed(string rule, string message)
        => new(MqttReasonCode.MalformedPacket, rule, message);

    /// <summary>A Protocol Error (0x82).</summary>
    public static MqttProtocolException Protocol(string rule, string message)
        => new(MqttReasonCode.ProtocolError, rule, message);

    /// <summary>The rule name used when a field runs past the end of the packet.</summary>
    public const string Truncated = "packet-truncated";

    /// <summary>The rule name used when bytes are left over at the end of the packet.</summary>
    public const string TrailingBytes = "packet-trailing-bytes";
}

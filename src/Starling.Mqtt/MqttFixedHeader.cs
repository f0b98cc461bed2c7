namespace Starling.Mqtt;

/// <summary>A decoded fixed header (section 2.1): type, flags and the remaining length.</summary>
/// <param name="Type">The packet type (high nibble).</param>
/// <param name="Flags">The low nibble of the first byte.</param>
/// <param name="RemainingLength">The declared length of variable header plus payload.</param>
/// <param name="HeaderLength">Bytes taken by the fixed header itself: 2 to 5.</param>
public readonly record struct MqttFixedHeader(MqttPacketType Type, byte Flags, int RemainingLength, int HeaderLength)
{
    /// <summary>The whole packet's length on the wire.</summary>
    public int PacketLength => HeaderLength + RemainingLength;
}

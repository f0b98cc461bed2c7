using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using Starling.Mqtt.Packets;

namespace Starling.Mqtt;

/// <summary>
/// Decodes packets from <see cref="ReadOnlySequence{T}"/>, across segment boundaries. Every malformed form
/// throws <see cref="MqttProtocolException"/> naming the rule; nothing is allocated by a peer-declared
/// length before that length has been checked against the maximum packet size.
/// </summary>
public static class MqttPacketReader
{
    /// <summary>
    /// Reads the fixed header at the start of <paramref name="buffer"/>. Returns false when more bytes are
    /// needed to know the remaining length. Throws when the remaining length takes more than four bytes,
    /// when the whole packet would exceed <paramref name="maximumPacketSize"/> (reason 0x95), or when the
    /// packet type is 0. It does not check that the whole packet has arrived: compare
    /// <see cref="MqttFixedHeader.PacketLength"/> with the buffer's length.
    /// </summary>
    public static bool TryReadFixedHeader(in ReadOnlySequence<byte> buffer, uint maximumPacketSize, out MqttFixedHeader header)
        => throw new NotImplementedException();

    /// <summary>
    /// Reads one whole packet if <paramref name="buffer"/> holds it, and advances <paramref name="buffer"/> past it.
    /// Returns false, leaving <paramref name="buffer"/> unchanged, when more bytes are needed.
    /// With <see cref="MqttProtocolVersion.Unknown"/> only CONNECT is accepted, and its protocol level
    /// decides how it is read; an unknown protocol name or level throws with reason 0x84
    /// (<see cref="MqttReasonCode.UnsupportedProtocolVersion"/>), so a server can answer CONNACK 0x01 / 0x84.
    /// </summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, MqttProtocolVersion version, uint maximumPacketSize, [NotNullWhen(true)] out MqttPacket? packet)
        => throw new NotImplementedException();

    /// <summary>
    /// Decodes the packet whose fixed header is <paramref name="header"/> from <paramref name="body"/>, which
    /// holds exactly its remaining length (variable header and payload).
    /// </summary>
    public static MqttPacket Read(in MqttFixedHeader header, in ReadOnlySequence<byte> body, MqttProtocolVersion version)
        => throw new NotImplementedException();

    /// <summary>
    /// Decodes a PUBLISH without allocating: the view's members are slices of <paramref name="body"/>.
    /// Checks the flags (QoS 3, DUP on QoS 0), a zero packet id on QoS 1/2, the topic's UTF-8 and that it has
    /// no wildcard or U+0000, and (5.0) that the property length fits. It does not parse the properties.
    /// </summary>
    public static MqttPublishView ReadPublish(in MqttFixedHeader header, in ReadOnlySequence<byte> body, MqttProtocolVersion version)
        => throw new NotImplementedException();

    /// <summary>
    /// Parses raw 5.0 property bytes (without the leading property length) as found in a packet of type
    /// <paramref name="packetType"/>; <paramref name="isWill"/> selects the will-properties rules of CONNECT.
    /// Throws for an unknown id, a property not allowed in that packet, or one given twice where once is allowed.
    /// </summary>
    public static MqttProperties ReadProperties(in ReadOnlySequence<byte> properties, MqttPacketType packetType, bool isWill = false)
        => throw new NotImplementedException();
}

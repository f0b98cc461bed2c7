using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using Starling.Mqtt.Packets;
using Starling.Mqtt.Primitives;
using Starling.Mqtt.Reading;

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
    {
        header = default;
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryRead(out byte first))
        {
            return false;
        }

        int type = first >> 4;
        if (type == 0)
        {
            // Packet type 0 is reserved / forbidden (section 2.1.2).
            throw MqttErrors.Malformed("reserved-packet-type", "Packet type 0 is reserved.");
        }

        if (!VariableByteInteger.TryRead(ref reader, "remaining length", out int remainingLength))
        {
            return false;
        }

        int headerLength = (int)reader.Consumed;
        if ((long)headerLength + remainingLength > maximumPacketSize)
        {
            // Section 4.13 (5.0): a packet above the Maximum Packet Size is answered with 0x95.
            throw new MqttProtocolException(
                MqttReasonCode.PacketTooLarge,
                "maximum-packet-size",
                $"The packet is {(long)headerLength + remainingLength} bytes; the maximum is {maximumPacketSize}.");
        }

        header = new MqttFixedHeader((MqttPacketType)type, (byte)(first & 0x0F), remainingLength, headerLength);
        return true;
    }

    /// <summary>
    /// Reads one whole packet if <paramref name="buffer"/> holds it, and advances <paramref name="buffer"/> past it.
    /// Returns false, leaving <paramref name="buffer"/> unchanged, when more bytes are needed.
    /// With <see cref="MqttProtocolVersion.Unknown"/> only CONNECT is accepted (else Protocol Error, MQTT-3.1.0-1),
    /// and its protocol name and level decide how it is read: a valid name ("MQTT", "MQIsdp") with a level that
    /// does not match it throws with reason 0x84 (<see cref="MqttReasonCode.UnsupportedProtocolVersion"/>, rule
    /// MQTT-3.1.2-2), so a server can answer CONNACK 0x01 / 0x84; any other name is a Protocol Error (MQTT-3.1.2-1).
    /// A packet longer than <paramref name="maximumPacketSize"/> throws with reason 0x95 as soon as its fixed
    /// header is known.
    /// </summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, MqttProtocolVersion version, uint maximumPacketSize, [NotNullWhen(true)] out MqttPacket? packet)
    {
        packet = null;
        if (!TryReadFixedHeader(buffer, maximumPacketSize, out MqttFixedHeader header) || buffer.Length < header.PacketLength)
        {
            return false;
        }

        packet = Read(header, buffer.Slice(header.HeaderLength, header.RemainingLength), version);
        buffer = buffer.Slice(header.PacketLength);
        return true;
    }

    /// <summary>
    /// Decodes the packet whose fixed header is <paramref name="header"/> from <paramref name="body"/>, which
    /// holds exactly its remaining length (variable header and payload). A CONNECT is read according to its
    /// own protocol level; with <see cref="MqttProtocolVersion.Unknown"/> nothing else is accepted.
    /// </summary>
    public static MqttPacket Read(in MqttFixedHeader header, in ReadOnlySequence<byte> body, MqttProtocolVersion version)
    {
        CheckFlags(header, version);
        if (version == MqttProtocolVersion.Unknown && header.Type != MqttPacketType.Connect)
        {
            throw MqttErrors.Protocol("MQTT-3.1.0-1", $"The first packet must be CONNECT, not {header.Type.ToString().ToUpperInvariant()}.");
        }

        return header.Type switch
        {
            MqttPacketType.Connect => ConnectReader.ReadConnect(body),
            MqttPacketType.ConnAck => ConnectReader.ReadConnAck(body, version),
            MqttPacketType.Publish => PublishReader.Read(header.Flags, body, version),
            MqttPacketType.PubAck or MqttPacketType.PubRec or MqttPacketType.PubRel or MqttPacketType.PubComp
                => AckReader.ReadPublishAck(header.Type, body, version),
            MqttPacketType.Subscribe => SubscribeReader.ReadSubscribe(body, version),
            MqttPacketType.SubAck => SubscribeReader.ReadSubAck(body, version),
            MqttPacketType.Unsubscribe => SubscribeReader.ReadUnsubscribe(body, version),
            MqttPacketType.UnsubAck => SubscribeReader.ReadUnsubAck(body, version),
            MqttPacketType.PingReq or MqttPacketType.PingResp => AckReader.ReadPing(header.Type, body),
            MqttPacketType.Disconnect => AckReader.ReadDisconnect(body, version),
            MqttPacketType.Auth => AckReader.ReadAuth(body),
            _ => throw MqttErrors.Malformed("reserved-packet-type", $"Packet type {(int)header.Type} is reserved."),
        };
    }

    /// <summary>
    /// Decodes a PUBLISH without allocating: the view's members are slices of <paramref name="body"/>.
    /// Checks the flags (QoS 3, DUP on QoS 0), a zero packet id on QoS 1/2, the topic's UTF-8 and that it has
    /// no wildcard or U+0000, and (5.0) that the property length fits. It does not parse the properties.
    /// </summary>
    public static MqttPublishView ReadPublish(in MqttFixedHeader header, in ReadOnlySequence<byte> body, MqttProtocolVersion version)
    {
        if (header.Type != MqttPacketType.Publish)
        {
            throw new ArgumentException("The header is not a PUBLISH header.", nameof(header));
        }

        return PublishReader.ReadView(header.Flags, body, version);
    }

    /// <summary>
    /// Parses raw 5.0 property bytes (without the leading property length) as found in a packet of type
    /// <paramref name="packetType"/>; <paramref name="isWill"/> selects the will-properties rules of CONNECT.
    /// Throws for an unknown id, a property not allowed in that packet, or one given twice where once is allowed.
    /// </summary>
    public static MqttProperties ReadProperties(in ReadOnlySequence<byte> properties, MqttPacketType packetType, bool isWill = false)
        => PropertiesReader.Read(properties, packetType, isWill);

    /// <summary>The fixed-header flag rules of section 2.2.2 (3.1.1) / 2.1.3 (5.0).</summary>
    private static void CheckFlags(in MqttFixedHeader header, MqttProtocolVersion version)
    {
        switch (header.Type)
        {
            case MqttPacketType.Publish:
                // DUP, QoS and RETAIN are checked with the PUBLISH itself [MQTT-3.3.1-2] [MQTT-3.3.1-4].
                return;
            case MqttPacketType.PubRel when header.Flags != 0x02:
                throw MqttErrors.Malformed("MQTT-3.6.1-1", "PUBREL fixed-header flags must be 0010.");
            case MqttPacketType.Subscribe when header.Flags != 0x02:
                throw MqttErrors.Malformed("MQTT-3.8.1-1", "SUBSCRIBE fixed-header flags must be 0010.");
            case MqttPacketType.Unsubscribe when header.Flags != 0x02:
                throw MqttErrors.Malformed("MQTT-3.10.1-1", "UNSUBSCRIBE fixed-header flags must be 0010.");
            case MqttPacketType.PubRel or MqttPacketType.Subscribe or MqttPacketType.Unsubscribe:
                return;
            case MqttPacketType.Auth when version is MqttProtocolVersion.V310 or MqttProtocolVersion.V311:
                throw MqttErrors.Malformed("reserved-packet-type", "Packet type 15 is reserved before MQTT 5.0.");
            case 0 or > MqttPacketType.Auth:
                throw MqttErrors.Malformed("reserved-packet-type", $"Packet type {(int)header.Type} is reserved.");
            default:
                if (header.Flags != 0)
                {
                    throw MqttErrors.Malformed("MQTT-2.2.2-2", $"{header.Type.ToString().ToUpperInvariant()} fixed-header flags must be 0000.");
                }

                return;
        }
    }
}

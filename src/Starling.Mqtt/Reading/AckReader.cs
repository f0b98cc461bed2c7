using System.Buffers;
using Starling.Mqtt.Packets;
using Starling.Mqtt.Primitives;

namespace Starling.Mqtt.Reading;

/// <summary>PUBACK, PUBREC, PUBREL, PUBCOMP (sections 3.4-3.7), PINGREQ/PINGRESP, DISCONNECT and AUTH.</summary>
internal static class AckReader
{
    /// <summary>Reads one of the four publish acknowledgements.</summary>
    public static PublishAckPacket ReadPublishAck(MqttPacketType type, in ReadOnlySequence<byte> body, MqttProtocolVersion version)
    {
        PublishAckPacket packet = type switch
        {
            MqttPacketType.PubAck => new PubAckPacket(),
            MqttPacketType.PubRec => new PubRecPacket(),
            MqttPacketType.PubRel => new PubRelPacket(),
            _ => new PubCompPacket(),
        };

        var reader = new PacketBodyReader(body);
        packet.PacketId = reader.ReadUInt16("packet identifier");
        if (version == MqttProtocolVersion.V500)
        {
            // Remaining length 2: Success and no properties; 3: a reason code and no properties (section 3.4.2.1).
            if (!reader.End)
            {
                packet.ReasonCode = ReasonCodeRules.Check(type, reader.ReadByte("reason code"));
            }

            if (!reader.End)
            {
                packet.Properties = PropertiesReader.ReadWithLength(ref reader, type);
            }
        }

        reader.EnsureEnd(type.ToString().ToUpperInvariant());
        return packet;
    }

    /// <summary>PINGREQ and PINGRESP have no variable header and no payload.</summary>
    public static MqttPacket ReadPing(MqttPacketType type, in ReadOnlySequence<byte> body)
    {
        var reader = new PacketBodyReader(body);
        reader.EnsureEnd(type.ToString().ToUpperInvariant());
        return type == MqttPacketType.PingReq ? PingReqPacket.Instance : PingRespPacket.Instance;
    }

    /// <summary>Reads DISCONNECT: empty for 3.x; for 5.0 an optional reason code and optional properties.</summary>
    public static DisconnectPacket ReadDisconnect(in ReadOnlySequence<byte> body, MqttProtocolVersion version)
    {
        var reader = new PacketBodyReader(body);
        var packet = new DisconnectPacket();
        if (version == MqttProtocolVersion.V500)
        {
            (packet.ReasonCode, packet.Properties) = ReadReasonAndProperties(ref reader, MqttPacketType.Disconnect);
        }

        reader.EnsureEnd("DISCONNECT");
        return packet;
    }

    /// <summary>Reads AUTH (5.0 only): remaining length 0 means Success and no properties.</summary>
    public static AuthPacket ReadAuth(in ReadOnlySequence<byte> body)
    {
        var reader = new PacketBodyReader(body);
        var packet = new AuthPacket();
        (packet.ReasonCode, packet.Properties) = ReadReasonAndProperties(ref reader, MqttPacketType.Auth);
        reader.EnsureEnd("AUTH");
        return packet;
    }

    private static (MqttReasonCode Code, MqttProperties? Properties) ReadReasonAndProperties(ref PacketBodyReader reader, MqttPacketType type)
    {
        var code = MqttReasonCode.Success;
        MqttProperties? properties = null;
        if (!reader.End)
        {
            code = ReasonCodeRules.Check(type, reader.ReadByte("reason code"));
        }

        if (!reader.End)
        {
            properties = PropertiesReader.ReadWithLength(ref reader, type);
        }

        return (code, properties);
    }
}

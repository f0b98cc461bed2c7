using System.Buffers;
using Starling.Mqtt.Packets;
using Starling.Mqtt.Primitives;

namespace Starling.Mqtt.Reading;

/// <summary>CONNECT (section 3.1) and CONNACK (section 3.2).</summary>
internal static class ConnectReader
{
    private static ReadOnlySpan<byte> Mqtt => "MQTT"u8;

    private static ReadOnlySpan<byte> MqIsdp => "MQIsdp"u8;

    /// <summary>Reads a CONNECT; its protocol name and level, not the connection's version, decide the layout.</summary>
    public static ConnectPacket ReadConnect(in ReadOnlySequence<byte> body)
    {
        var reader = new PacketBodyReader(body);
        MqttProtocolVersion version = ReadProtocol(ref reader);

        byte flags = reader.ReadByte("connect flags");
        if ((flags & 0x01) != 0)
        {
            throw MqttErrors.Malformed("MQTT-3.1.2-3", "The reserved bit 0 of the connect flags is set.");
        }

        bool cleanSession = (flags & 0x02) != 0;
        bool willFlag = (flags & 0x04) != 0;
        int willQoS = (flags >> 3) & 0x03;
        bool willRetain = (flags & 0x20) != 0;
        bool passwordFlag = (flags & 0x40) != 0;
        bool usernameFlag = (flags & 0x80) != 0;

        if (!willFlag && willQoS != 0)
        {
            throw MqttErrors.Malformed("MQTT-3.1.2-13", "Will QoS is set while the Will Flag is 0 (see also MQTT-3.1.2-11).");
        }

        if (!willFlag && willRetain)
        {
            throw MqttErrors.Malformed("MQTT-3.1.2-15", "Will Retain is set while the Will Flag is 0 (see also MQTT-3.1.2-11).");
        }

        if (willQoS == 3)
        {
            throw MqttErrors.Malformed("MQTT-3.1.2-14", "Will QoS is 3.");
        }

        if (passwordFlag && !usernameFlag && version != MqttProtocolVersion.V500)
        {
            // 3.1.1 forbids a password without a user name; 5.0 allows it (section 3.1.2.9).
            throw MqttErrors.Malformed("MQTT-3.1.2-22", "The Password Flag is set without the User Name Flag.");
        }

        var packet = new ConnectPacket
        {
            ProtocolVersion = version,
            CleanSession = cleanSession,
            KeepAlive = reader.ReadUInt16("keep alive"),
        };

        if (version == MqttProtocolVersion.V500)
        {
            packet.Properties = PropertiesReader.ReadWithLength(ref reader, MqttPacketType.Connect);
        }

        // 3.1 limits the client id to 1-23 characters; longer and empty ones are left to the broker.
        packet.ClientId = reader.ReadString("client identifier");

        if (willFlag)
        {
            var will = new MqttWill { QoS = (MqttQualityOfService)willQoS, Retain = willRetain };
            if (version == MqttProtocolVersion.V500)
            {
                will.Properties = PropertiesReader.ReadWithLength(ref reader, MqttPacketType.Connect, isWill: true);
            }

            will.Topic = reader.ReadString("will topic");
            will.Payload = reader.ReadBinary("will payload");
            packet.Will = will;
        }

        if (usernameFlag)
        {
            packet.Username = reader.ReadString("user name");
        }

        if (passwordFlag)
        {
            packet.Password = reader.ReadBinary("password");
        }

        reader.EnsureEnd("CONNECT payload");
        return packet;
    }

    private static MqttProtocolVersion ReadProtocol(ref PacketBodyReader reader)
    {
        ReadOnlySequence<byte> name = reader.ReadBinarySlice("protocol name");
        byte level = reader.ReadByte("protocol level");
        Span<byte> copy = stackalloc byte[6];
        bool isMqtt = false;
        bool isMqIsdp = false;
        if (name.Length == Mqtt.Length || name.Length == MqIsdp.Length)
        {
            name.CopyTo(copy);
            isMqtt = copy[..(int)name.Length].SequenceEqual(Mqtt);
            isMqIsdp = copy[..(int)name.Length].SequenceEqual(MqIsdp);
        }

        if (isMqtt)
        {
            return level switch
            {
                4 => MqttProtocolVersion.V311,
                5 => MqttProtocolVersion.V500,
                _ => throw UnsupportedLevel(level, "MQTT"),
            };
        }

        if (isMqIsdp)
        {
            return level == 3 ? MqttProtocolVersion.V310 : throw UnsupportedLevel(level, "MQIsdp");
        }

        // [MQTT-3.1.2-1]: not an MQTT protocol name; the server closes the connection without CONNACK.
        throw MqttErrors.Protocol("MQTT-3.1.2-1", "The protocol name is neither \"MQTT\" nor \"MQIsdp\".");
    }

    private static MqttProtocolException UnsupportedLevel(byte level, string name)
        => new(MqttReasonCode.UnsupportedProtocolVersion, "MQTT-3.1.2-2", $"Protocol level {level} is not supported with protocol name \"{name}\".");

    /// <summary>Reads a CONNACK.</summary>
    public static ConnAckPacket ReadConnAck(in ReadOnlySequence<byte> body, MqttProtocolVersion version)
    {
        var reader = new PacketBodyReader(body);
        byte flags = reader.ReadByte("acknowledge flags");
        byte code = reader.ReadByte("return code");
        var packet = new ConnAckPacket();
        if (version == MqttProtocolVersion.V310)
        {
            // 3.1: the first byte is unused; there is no Session Present flag.
            packet.ReasonCode = MqttReasonCodeMapping.FromV3ConnectReturnCode(code);
        }
        else
        {
            if ((flags & 0xFE) != 0)
            {
                throw MqttErrors.Malformed("MQTT-3.2.2-1", "The reserved bits 7-1 of the connect acknowledge flags are set.");
            }

            packet.SessionPresent = (flags & 0x01) != 0;
            if (version == MqttProtocolVersion.V500)
            {
                packet.ReasonCode = (MqttReasonCode)code;
                packet.Properties = PropertiesReader.ReadWithLength(ref reader, MqttPacketType.ConnAck);
            }
            else
            {
                packet.ReasonCode = MqttReasonCodeMapping.FromV3ConnectReturnCode(code);
            }
        }

        reader.EnsureEnd("CONNACK");
        return packet;
    }
}

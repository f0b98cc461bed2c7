using System.Buffers;
using Starling.Mqtt.Packets;
using Starling.Mqtt.Primitives;

namespace Starling.Mqtt.Reading;

/// <summary>SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK (sections 3.8-3.11).</summary>
internal static class SubscribeReader
{
    /// <summary>Reads a SUBSCRIBE. Filter syntax is not checked here: the broker answers per filter.</summary>
    public static SubscribePacket ReadSubscribe(in ReadOnlySequence<byte> body, MqttProtocolVersion version)
    {
        var reader = new PacketBodyReader(body);
        var packet = new SubscribePacket { PacketId = ReadNonZeroPacketId(ref reader, "SUBSCRIBE") };
        if (version == MqttProtocolVersion.V500)
        {
            packet.Properties = PropertiesReader.ReadWithLength(ref reader, MqttPacketType.Subscribe);
        }

        while (!reader.End)
        {
            string filter = reader.ReadString("topic filter");
            byte options = reader.ReadByte("subscription options");
            var subscription = new MqttSubscription { TopicFilter = filter, QoS = (MqttQualityOfService)(options & 0x03) };
            if (version == MqttProtocolVersion.V500)
            {
                if ((options & 0xC0) != 0)
                {
                    throw MqttErrors.Malformed("MQTT-3.8.3-5", "Reserved bits 7-6 of the subscription options are set.");
                }

                if ((options & 0x03) == 3)
                {
                    // Section 3.8.3.1: "It is a Protocol Error if the Maximum QoS field has the value 3."
                    throw MqttErrors.Protocol("subscription-qos-3", "The subscription's Maximum QoS is 3.");
                }

                int retainHandling = (options >> 4) & 0x03;
                if (retainHandling == 3)
                {
                    // Section 3.8.3.1: "It is a Protocol Error to send a Retain Handling value of 3."
                    throw MqttErrors.Protocol("subscription-retain-handling-3", "The subscription's Retain Handling is 3.");
                }

                subscription.NoLocal = (options & 0x04) != 0;
                subscription.RetainAsPublished = (options & 0x08) != 0;
                subscription.RetainHandling = (byte)retainHandling;
            }
            else if ((options & 0xFC) != 0 || (options & 0x03) == 3)
            {
                throw MqttErrors.Malformed("MQTT-3.8.3-4", "Reserved bits of the requested QoS byte are set, or the QoS is 3.");
            }

            packet.Subscriptions.Add(subscription);
        }

        if (packet.Subscriptions.Count == 0)
        {
            throw MqttErrors.Protocol("MQTT-3.8.3-3", "SUBSCRIBE without any topic filter.");
        }

        return packet;
    }

    /// <summary>Reads a SUBACK.</summary>
    public static SubAckPacket ReadSubAck(in ReadOnlySequence<byte> body, MqttProtocolVersion version)
    {
        var reader = new PacketBodyReader(body);
        var packet = new SubAckPacket { PacketId = reader.ReadUInt16("packet identifier") };
        if (version == MqttProtocolVersion.V500)
        {
            packet.Properties = PropertiesReader.ReadWithLength(ref reader, MqttPacketType.SubAck);
        }

        while (!reader.End)
        {
            byte code = reader.ReadByte("reason code");
            bool valid = version == MqttProtocolVersion.V500
                ? code is 0x00 or 0x01 or 0x02 or 0x80 or 0x83 or 0x87 or 0x8F or 0x91 or 0x97 or 0x9E or 0xA1 or 0xA2
                : code is 0x00 or 0x01 or 0x02 or 0x80;
            if (!valid)
            {
                throw MqttErrors.Malformed("MQTT-3.9.3-2", $"0x{code:X2} is not a SUBACK return code.");
            }

            packet.ReasonCodes.Add((MqttReasonCode)code);
        }

        if (packet.ReasonCodes.Count == 0)
        {
            throw MqttErrors.Protocol("suback-empty", "SUBACK without any return code.");
        }

        return packet;
    }

    /// <summary>Reads an UNSUBSCRIBE.</summary>
    public static UnsubscribePacket ReadUnsubscribe(in ReadOnlySequence<byte> body, MqttProtocolVersion version)
    {
        var reader = new PacketBodyReader(body);
        var packet = new UnsubscribePacket { PacketId = ReadNonZeroPacketId(ref reader, "UNSUBSCRIBE") };
        if (version == MqttProtocolVersion.V500)
        {
            packet.Properties = PropertiesReader.ReadWithLength(ref reader, MqttPacketType.Unsubscribe);
        }

        while (!reader.End)
        {
            packet.TopicFilters.Add(reader.ReadString("topic filter"));
        }

        if (packet.TopicFilters.Count == 0)
        {
            throw MqttErrors.Protocol("MQTT-3.10.3-2", "UNSUBSCRIBE without any topic filter.");
        }

        return packet;
    }

    /// <summary>Reads an UNSUBACK: only a packet id for 3.x; properties and reason codes for 5.0.</summary>
    public static UnsubAckPacket ReadUnsubAck(in ReadOnlySequence<byte> body, MqttProtocolVersion version)
    {
        var reader = new PacketBodyReader(body);
        var packet = new UnsubAckPacket { PacketId = reader.ReadUInt16("packet identifier") };
        if (version == MqttProtocolVersion.V500)
        {
            packet.Properties = PropertiesReader.ReadWithLength(ref reader, MqttPacketType.UnsubAck);
            while (!reader.End)
            {
                byte code = reader.ReadByte("reason code");
                if (code is not (0x00 or 0x11 or 0x80 or 0x83 or 0x87 or 0x8F or 0x91))
                {
                    throw MqttErrors.Malformed("unsuback-reason-code", $"0x{code:X2} is not an UNSUBACK reason code.");
                }

                packet.ReasonCodes.Add((MqttReasonCode)code);
            }

            if (packet.ReasonCodes.Count == 0)
            {
                throw MqttErrors.Protocol("unsuback-empty", "UNSUBACK without any reason code.");
            }
        }

        reader.EnsureEnd("UNSUBACK");
        return packet;
    }

    private static ushort ReadNonZeroPacketId(ref PacketBodyReader reader, string packet)
    {
        ushort id = reader.ReadUInt16("packet identifier");
        if (id == 0)
        {
            throw MqttErrors.Malformed("MQTT-2.3.1-1", $"{packet} has packet identifier 0.");
        }

        return id;
    }
}

using System.Buffers;
using Starling.Mqtt.Packets;
using Starling.Mqtt.Primitives;

namespace Starling.Mqtt.Reading;

/// <summary>PUBLISH (section 3.3).</summary>
internal static class PublishReader
{
    /// <summary>Reads the flags and the variable header without allocating.</summary>
    public static MqttPublishView ReadView(byte flags, in ReadOnlySequence<byte> body, MqttProtocolVersion version)
    {
        int qos = (flags >> 1) & 0x03;
        if (qos == 3)
        {
            throw MqttErrors.Malformed("MQTT-3.3.1-4", "PUBLISH with QoS 3.");
        }

        bool dup = (flags & 0x08) != 0;
        if (dup && qos == 0)
        {
            throw MqttErrors.Malformed("MQTT-3.3.1-2", "PUBLISH with DUP set on QoS 0.");
        }

        var reader = new PacketBodyReader(body);
        ReadOnlySequence<byte> topic = reader.ReadStringSlice("topic name");
        if (Utf8Validator.HasWildcard(topic))
        {
            throw new MqttProtocolException(MqttReasonCode.TopicNameInvalid, "MQTT-3.3.2-2", "The topic name holds a wildcard character.");
        }

        if (topic.IsEmpty && version != MqttProtocolVersion.V500)
        {
            // 5.0 allows an empty topic with a Topic Alias; that is checked by the broker.
            throw new MqttProtocolException(MqttReasonCode.TopicNameInvalid, "MQTT-4.7.3-1", "The topic name is empty.");
        }

        ushort packetId = 0;
        if (qos > 0)
        {
            packetId = reader.ReadUInt16("packet identifier");
            if (packetId == 0)
            {
                throw MqttErrors.Malformed("MQTT-2.3.1-1", "PUBLISH with QoS > 0 has packet identifier 0.");
            }
        }

        ReadOnlySequence<byte> properties = ReadOnlySequence<byte>.Empty;
        if (version == MqttProtocolVersion.V500)
        {
            int length = reader.ReadVariableByteInteger("property length");
            properties = reader.ReadBytes(length, "properties");
        }

        ReadOnlySequence<byte> payload = reader.ReadRest();
        return new MqttPublishView(topic, (MqttQualityOfService)qos, dup, (flags & 0x01) != 0, packetId, properties, payload);
    }

    /// <summary>Reads a PUBLISH into a packet that owns copies of its topic and payload.</summary>
    public static PublishPacket Read(byte flags, in ReadOnlySequence<byte> body, MqttProtocolVersion version)
    {
        MqttPublishView view = ReadView(flags, body, version);
        return new PublishPacket
        {
            Topic = System.Text.EncodingExtensions.GetString(System.Text.Encoding.UTF8, view.Topic),
            Payload = view.Payload.ToArray(),
            QoS = view.QoS,
            Dup = view.Dup,
            Retain = view.Retain,
            PacketId = view.PacketId,
            Properties = view.Properties.IsEmpty ? null : PropertiesReader.Read(view.Properties, MqttPacketType.Publish, isWill: false),
        };
    }
}

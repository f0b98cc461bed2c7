using System.Buffers;
using Starling.Mqtt.Primitives;

namespace Starling.Mqtt.Writing;

/// <summary>PUBLISH: the fixed header, topic, packet id and properties go into one span, the payload is copied after.</summary>
internal static class PublishEncoder
{
    /// <summary>The remaining length of a PUBLISH.</summary>
    public static long GetRemainingLength(MqttProtocolVersion version, int topicLength, long payloadLength, MqttQualityOfService qos, MqttProperties? properties, in MqttPublishOverrides overrides, out int propertiesSize)
    {
        if ((uint)qos > 2)
        {
            throw new ArgumentOutOfRangeException(nameof(qos), qos, "QoS is 0, 1 or 2.");
        }

        if (topicLength > ushort.MaxValue)
        {
            throw new ArgumentException($"A topic of {topicLength} UTF-8 bytes is longer than the 65,535 bytes MQTT allows.", nameof(topicLength));
        }

        propertiesSize = version == MqttProtocolVersion.V500 ? PropertiesWriter.GetContentSize(properties, overrides) : 0;
        long remaining = 2 + topicLength + (qos > 0 ? 2 : 0) + payloadLength;
        if (version == MqttProtocolVersion.V500)
        {
            remaining += VariableByteInteger.GetSize(propertiesSize) + propertiesSize;
        }

        return remaining;
    }

    /// <summary>Writes everything but the payload; the topic is given either as a string or as UTF-8 bytes.</summary>
    public static void WriteHeader(IBufferWriter<byte> writer, MqttProtocolVersion version, string? topic, ReadOnlySpan<byte> topicUtf8, long payloadLength, MqttQualityOfService qos, bool retain, bool dup, ushort packetId, MqttProperties? properties, in MqttPublishOverrides overrides)
    {
        if (version is not (MqttProtocolVersion.V310 or MqttProtocolVersion.V311 or MqttProtocolVersion.V500))
        {
            throw new ArgumentOutOfRangeException(nameof(version), version, "Packets are written as MQTT 3.1, 3.1.1 or 5.0.");
        }

        int topicLength = topic is null ? topicUtf8.Length : Sizes.String(topic) - 2;
        long remaining = GetRemainingLength(version, topicLength, payloadLength, qos, properties, overrides, out int propertiesSize);
        int headerSize = Sizes.Packet(remaining) - (int)payloadLength;
        var w = new SpanWriter(writer.GetSpan(headerSize));
        int flags = (dup ? 0x08 : 0) | ((int)qos << 1) | (retain ? 0x01 : 0);
        w.WriteFixedHeader(MqttPacketType.Publish, (byte)flags, (int)remaining);
        if (topic is null)
        {
            w.WriteBinary(topicUtf8);
        }
        else
        {
            w.WriteString(topic);
        }

        if (qos > 0)
        {
            w.WriteUInt16(packetId);
        }

        if (version == MqttProtocolVersion.V500)
        {
            PropertiesWriter.WriteWithLength(ref w, properties, overrides, propertiesSize);
        }

        writer.Advance(headerSize);
    }
}

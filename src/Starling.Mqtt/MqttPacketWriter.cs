using System.Buffers;
using System.Diagnostics;
using Starling.Mqtt.Packets;
using Starling.Mqtt.Writing;

namespace Starling.Mqtt;

/// <summary>Encodes packets into an <see cref="IBufferWriter{T}"/> for a given protocol version.</summary>
/// <remarks>
/// 3.1 and 3.1.1 ignore properties and the 5.0-only fields; CONNACK and SUBACK reason codes are mapped to the
/// older return codes. A CONNECT written with <see cref="MqttProtocolVersion.Unknown"/> uses its own
/// <see cref="ConnectPacket.ProtocolVersion"/>; other packets need a known version.
/// </remarks>
public static class MqttPacketWriter
{
    /// <summary>Writes <paramref name="packet"/> as <paramref name="version"/> encodes it.</summary>
    /// <exception cref="InvalidOperationException">AUTH is written for 3.1 or 3.1.1.</exception>
    /// <exception cref="ArgumentException">A string, binary field or the whole packet is too long for MQTT.</exception>
    public static void Write(MqttPacket packet, MqttProtocolVersion version, IBufferWriter<byte> writer)
    {
        ArgumentNullException.ThrowIfNull(packet);
        ArgumentNullException.ThrowIfNull(writer);
        if (packet is PublishPacket p)
        {
            PublishEncoder.WriteHeader(writer, version, p.Topic, default, p.Payload.Length, p.QoS, p.Retain, p.Dup, p.PacketId, p.Properties, PropertiesWriter.Own(p.Properties));
            writer.Write(p.Payload.Span);
            return;
        }

        version = PacketEncoder.Resolve(packet, version);
        long remaining = PacketEncoder.GetRemainingLength(packet, version);
        int size = Writing.Sizes.Packet(remaining);
        var w = new SpanWriter(writer.GetSpan(size));
        w.WriteFixedHeader(packet.Type, PacketEncoder.Flags(packet.Type), (int)remaining);
        PacketEncoder.WriteBody(ref w, packet, version);
        Debug.Assert(w.Position == size, "The computed size matches the bytes written.");
        writer.Advance(size);
    }

    /// <summary>The number of bytes <see cref="Write"/> would produce.</summary>
    public static int GetSize(MqttPacket packet, MqttProtocolVersion version)
    {
        ArgumentNullException.ThrowIfNull(packet);
        if (packet is PublishPacket p)
        {
            return GetPublishSize(version, Writing.Sizes.String(p.Topic) - 2, p.Payload.Length, p.QoS, p.Properties);
        }

        version = PacketEncoder.Resolve(packet, version);
        return Writing.Sizes.Packet(PacketEncoder.GetRemainingLength(packet, version));
    }

    /// <summary>
    /// Writes a PUBLISH from parts without allocating; <paramref name="properties"/> is ignored for 3.1/3.1.1.
    /// </summary>
    public static void WritePublish(IBufferWriter<byte> writer, MqttProtocolVersion version, ReadOnlySpan<byte> topicUtf8, in ReadOnlySequence<byte> payload, MqttQualityOfService qos, bool retain, bool dup, ushort packetId, MqttProperties? properties)
    {
        ArgumentNullException.ThrowIfNull(writer);
        PublishEncoder.WriteHeader(writer, version, null, topicUtf8, payload.Length, qos, retain, dup, packetId, properties, PropertiesWriter.Own(properties));
        foreach (ReadOnlyMemory<byte> segment in payload)
        {
            writer.Write(segment.Span);
        }
    }

    /// <summary>The size <see cref="WritePublish"/> would produce.</summary>
    public static int GetPublishSize(MqttProtocolVersion version, int topicLength, long payloadLength, MqttQualityOfService qos, MqttProperties? properties)
        => GetPublishSize(version, topicLength, payloadLength, qos, properties, PropertiesWriter.Own(properties));

    /// <summary>
    /// Writes a forwarded PUBLISH's fixed header, topic, packet id and properties, everything but the payload, which the
    /// caller writes or sends after it (<paramref name="payloadLength"/> bytes). <paramref name="overrides"/> replace the
    /// per-delivery properties, so one shared <paramref name="properties"/> serves every subscriber without a copy.
    /// </summary>
    public static void WritePublishHeader(IBufferWriter<byte> writer, MqttProtocolVersion version, ReadOnlySpan<byte> topicUtf8, int payloadLength, MqttQualityOfService qos, bool retain, bool dup, ushort packetId, MqttProperties? properties, in MqttPublishOverrides overrides)
    {
        ArgumentNullException.ThrowIfNull(writer);
        PublishEncoder.WriteHeader(writer, version, null, topicUtf8, payloadLength, qos, retain, dup, packetId, properties, overrides);
    }

    /// <summary>The size of the whole PUBLISH <see cref="WritePublishHeader"/> starts (header and payload).</summary>
    public static int GetPublishSize(MqttProtocolVersion version, int topicLength, long payloadLength, MqttQualityOfService qos, MqttProperties? properties, in MqttPublishOverrides overrides)
        => Writing.Sizes.Packet(PublishEncoder.GetRemainingLength(version, topicLength, payloadLength, qos, properties, overrides, out _));
}

using System.Buffers;
using Starling.Mqtt.Packets;

namespace Starling.Mqtt;

/// <summary>Encodes packets into an <see cref="IBufferWriter{T}"/> for a given protocol version.</summary>
public static class MqttPacketWriter
{
    /// <summary>Writes <paramref name="packet"/> as <paramref name="version"/> encodes it.</summary>
    public static void Write(MqttPacket packet, MqttProtocolVersion version, IBufferWriter<byte> writer)
        => throw new NotImplementedException();

    /// <summary>The number of bytes <see cref="Write"/> would produce.</summary>
    public static int GetSize(MqttPacket packet, MqttProtocolVersion version)
        => throw new NotImplementedException();

    /// <summary>
    /// Writes a PUBLISH from parts without allocating; <paramref name="properties"/> is ignored for 3.1/3.1.1.
    /// </summary>
    public static void WritePublish(IBufferWriter<byte> writer, MqttProtocolVersion version, ReadOnlySpan<byte> topicUtf8, in ReadOnlySequence<byte> payload, MqttQualityOfService qos, bool retain, bool dup, ushort packetId, MqttProperties? properties)
        => throw new NotImplementedException();

    /// <summary>The size <see cref="WritePublish"/> would produce.</summary>
    public static int GetPublishSize(MqttProtocolVersion version, int topicLength, long payloadLength, MqttQualityOfService qos, MqttProperties? properties)
        => throw new NotImplementedException();
}

using System.Buffers;

namespace Starling.Mqtt;

/// <summary>
/// A PUBLISH decoded without allocating: every member is a slice of the received bytes, valid only until
/// those bytes are released. Copy what must outlive the receive buffer.
/// </summary>
public readonly struct MqttPublishView
{
    /// <summary>Creates a view; used by the reader.</summary>
    public MqttPublishView(ReadOnlySequence<byte> topic, MqttQualityOfService qos, bool dup, bool retain, ushort packetId, ReadOnlySequence<byte> properties, ReadOnlySequence<byte> payload)
    {
        Topic = topic;
        QoS = qos;
        Dup = dup;
        Retain = retain;
        PacketId = packetId;
        Properties = properties;
        Payload = payload;
    }

    /// <summary>The topic name as UTF-8, already checked to be well formed, without U+0000 or wildcards.</summary>
    public ReadOnlySequence<byte> Topic { get; }

    /// <summary>The QoS, 0 to 2.</summary>
    public MqttQualityOfService QoS { get; }

    /// <summary>The DUP flag.</summary>
    public bool Dup { get; }

    /// <summary>The RETAIN flag.</summary>
    public bool Retain { get; }

    /// <summary>The packet identifier (0 for QoS 0).</summary>
    public ushort PacketId { get; }

    /// <summary>The raw property bytes after the property length (5.0; empty otherwise). Parse with <see cref="MqttPacketReader.ReadProperties"/>.</summary>
    public ReadOnlySequence<byte> Properties { get; }

    /// <summary>The application message.</summary>
    public ReadOnlySequence<byte> Payload { get; }
}

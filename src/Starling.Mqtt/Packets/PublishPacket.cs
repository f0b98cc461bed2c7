namespace Starling.Mqtt.Packets;

/// <summary>PUBLISH (section 3.3). For a decode that allocates nothing, see <see cref="MqttPublishView"/>.</summary>
public sealed class PublishPacket : MqttPacket
{
    /// <inheritdoc />
    public override MqttPacketType Type => MqttPacketType.Publish;

    /// <summary>The topic name; may be empty in 5.0 when a topic alias is set.</summary>
    public string Topic { get; set; } = "";

    /// <summary>The application message.</summary>
    public ReadOnlyMemory<byte> Payload { get; set; }

    /// <summary>The QoS of this transmission.</summary>
    public MqttQualityOfService QoS { get; set; }

    /// <summary>The RETAIN flag.</summary>
    public bool Retain { get; set; }

    /// <summary>The DUP flag: a redelivery. Must be clear for QoS 0.</summary>
    public bool Dup { get; set; }

    /// <summary>The packet identifier; present only for QoS 1 and 2, never 0 there.</summary>
    public ushort PacketId { get; set; }

    /// <summary>PUBLISH properties (5.0 only).</summary>
    public MqttProperties? Properties { get; set; }
}

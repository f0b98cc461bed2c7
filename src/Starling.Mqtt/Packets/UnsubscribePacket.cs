namespace Starling.Mqtt.Packets;

/// <summary>UNSUBSCRIBE (section 3.10). Its fixed-header flags are 0010.</summary>
public sealed class UnsubscribePacket : MqttPacket
{
    /// <inheritdoc />
    public override MqttPacketType Type => MqttPacketType.Unsubscribe;

    /// <summary>The packet identifier.</summary>
    public ushort PacketId { get; set; }

    /// <summary>The topic filters, in order; at least one [MQTT-3.10.3-2].</summary>
    public List<string> TopicFilters { get; set; } = [];

    /// <summary>UNSUBSCRIBE properties (5.0 only).</summary>
    public MqttProperties? Properties { get; set; }
}

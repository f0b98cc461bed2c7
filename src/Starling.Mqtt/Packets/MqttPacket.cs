namespace Starling.Mqtt.Packets;

/// <summary>The base of every control packet.</summary>
public abstract class MqttPacket
{
    /// <summary>The control packet type.</summary>
    public abstract MqttPacketType Type { get; }
}

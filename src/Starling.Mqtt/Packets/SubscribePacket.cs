namespace Starling.Mqtt.Packets;

/// <summary>SUBSCRIBE (section 3.8). Its fixed-header flags are 0010.</summary>
public sealed class SubscribePacket : MqttPacket
{
    /// <inheritdoc />
    public override MqttPacketType Type => MqttPacketType.Subscribe;

    /// <summary>The packet identifier.</summary>
    public ushort PacketId { get; set; }

    /// <summary>The requested subscriptions, in order; at least one [MQTT-3.8.3-3].</summary>
    public List<MqttSubscription> Subscriptions { get; set; } = [];

    /// <summary>SUBSCRIBE properties (5.0 only): Subscription Identifier and user properties.</summary>
    public MqttProperties? Properties { get; set; }
}

/// <summary>One topic filter of a SUBSCRIBE, with its options.</summary>
public sealed class MqttSubscription
{
    /// <summary>The topic filter.</summary>
    public string TopicFilter { get; set; } = "";

    /// <summary>The maximum QoS requested.</summary>
    public MqttQualityOfService QoS { get; set; }

    /// <summary>No Local (5.0): do not send the client its own publications.</summary>
    public bool NoLocal { get; set; }

    /// <summary>Retain As Published (5.0): keep the RETAIN flag when forwarding.</summary>
    public bool RetainAsPublished { get; set; }

    /// <summary>Retain Handling (5.0): 0 send retained on subscribe, 1 only if new, 2 never.</summary>
    public byte RetainHandling { get; set; }
}

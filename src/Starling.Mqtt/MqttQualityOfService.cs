namespace Starling.Mqtt;

/// <summary>Quality of service of a PUBLISH or a subscription.</summary>
public enum MqttQualityOfService : byte
{
    /// <summary>QoS 0: fire and forget.</summary>
    AtMostOnce = 0,

    /// <summary>QoS 1: acknowledged with PUBACK, may be duplicated.</summary>
    AtLeastOnce = 1,

    /// <summary>QoS 2: four-step handshake, delivered exactly once.</summary>
    ExactlyOnce = 2,
}

namespace Starling.Mqtt;

/// <summary>The protocol level carried in CONNECT.</summary>
public enum MqttProtocolVersion : byte
{
    /// <summary>Not yet known: no CONNECT has been read.</summary>
    Unknown = 0,

    /// <summary>MQTT 3.1, protocol name "MQIsdp", level 3.</summary>
    V310 = 3,

    /// <summary>MQTT 3.1.1, protocol name "MQTT", level 4.</summary>
    V311 = 4,

    /// <summary>MQTT 5.0, protocol name "MQTT", level 5.</summary>
    V500 = 5,
}

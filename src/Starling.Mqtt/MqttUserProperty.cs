namespace Starling.Mqtt;

/// <summary>An MQTT 5.0 user property: a name and value pair. Order and repeats are significant.</summary>
/// <param name="Name">The property name.</param>
/// <param name="Value">The property value.</param>
public readonly record struct MqttUserProperty(string Name, string Value);

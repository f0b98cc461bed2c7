namespace Starling.Mqtt;

/// <summary>
/// What differs per subscriber when a broker forwards one PUBLISH to many: the 5.0 properties that belong to the
/// delivery, not to the message. With these, one shared <see cref="MqttProperties"/> serves every delivery and
/// nothing is cloned per subscriber. The shared properties' own Topic Alias and Subscription Identifiers are
/// ignored when overrides are used: a Topic Alias belongs to one connection [MQTT-3.3.2-10] and a client never
/// sends Subscription Identifiers [MQTT-3.3.4-6].
/// </summary>
public readonly record struct MqttPublishOverrides
{
    /// <summary>The Topic Alias for this connection, or null for none.</summary>
    public ushort? TopicAlias { get; init; }

    /// <summary>The Subscription Identifiers of this subscriber's matching subscriptions, or null [MQTT-3.3.4-3].</summary>
    public IReadOnlyList<uint>? SubscriptionIdentifiers { get; init; }

    /// <summary>
    /// The Message Expiry Interval to send instead of the published one: what remains of it [MQTT-3.3.2-6].
    /// Null keeps the shared properties' value (or its absence).
    /// </summary>
    public uint? MessageExpiryInterval { get; init; }
}

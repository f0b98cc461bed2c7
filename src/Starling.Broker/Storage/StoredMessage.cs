using Starling.Mqtt;

namespace Starling.Broker.Storage;

/// <summary>
/// A message as a store keeps it: plain data with no live references, so any backend can write and read it.
/// <paramref name="ExpiresAtUtc"/> is wall-clock time, since the broker's monotonic clock does not survive a restart;
/// the Message Expiry Interval in <paramref name="Properties"/> is recomputed from it when the message is loaded.
/// </summary>
/// <param name="Topic">The topic name.</param>
/// <param name="Payload">The payload bytes.</param>
/// <param name="QoS">The QoS it was published with.</param>
/// <param name="Retain">The RETAIN flag it was published with.</param>
/// <param name="Properties">The PUBLISH properties (5.0), or null.</param>
/// <param name="SenderClientId">The publishing client, for No Local, or null.</param>
/// <param name="ExpiresAtUtc">When the message expires, or null for never.</param>
public sealed record StoredMessage(
    string Topic,
    byte[] Payload,
    MqttQualityOfService QoS,
    bool Retain,
    MqttProperties? Properties,
    string? SenderClientId,
    DateTimeOffset? ExpiresAtUtc);

/// <summary>One message bound for a client: the message and what differs for this subscriber.</summary>
/// <param name="Message">The message.</param>
/// <param name="QoS">The delivery QoS.</param>
/// <param name="Retain">The RETAIN flag this subscriber receives.</param>
/// <param name="SubscriptionIds">5.0 subscription identifiers, or null.</param>
/// <param name="Sequence">The session's number for the delivery, increasing in queue order, which journal entries name it
/// by; a store that keeps no numbers numbers the deliveries in the record's order.</param>
public sealed record StoredDelivery(StoredMessage Message, MqttQualityOfService QoS, bool Retain, uint[]? SubscriptionIds, long Sequence = 0);

/// <summary>A QoS 1 or 2 delivery sent and not yet fully acknowledged: resent with DUP on resume [MQTT-4.4.0-1].</summary>
/// <param name="PacketId">The packet identifier it was sent with.</param>
/// <param name="Delivery">The delivery.</param>
/// <param name="Released">QoS 2: PUBREC received and PUBREL sent, so the PUBREL is what is resent.</param>
public sealed record StoredInflight(ushort PacketId, StoredDelivery Delivery, bool Released);

/// <summary>One subscription with its options, as the client sent it.</summary>
/// <param name="Filter">The filter as sent, including any <c>$share/group/</c> prefix.</param>
/// <param name="QoS">The granted QoS.</param>
/// <param name="NoLocal">5.0 No Local.</param>
/// <param name="RetainAsPublished">5.0 Retain As Published.</param>
/// <param name="RetainHandling">5.0 Retain Handling.</param>
/// <param name="SubscriptionId">5.0 Subscription Identifier, or 0.</param>
public sealed record StoredSubscription(string Filter, MqttQualityOfService QoS, bool NoLocal, bool RetainAsPublished, byte RetainHandling, uint SubscriptionId);

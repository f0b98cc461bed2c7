using Starling.Mqtt;

namespace Starling.Broker.Routing;

/// <summary>
/// One message on its way to a client: the shared <see cref="ApplicationMessage"/> plus what differs for this
/// subscriber (the QoS granted, the RETAIN flag it gets, its subscription identifiers).
/// </summary>
/// <param name="Message">The shared message.</param>
/// <param name="QoS">Delivery QoS: the minimum of the published and granted QoS.</param>
/// <param name="Retain">The RETAIN flag this subscriber receives.</param>
/// <param name="SubscriptionIds">5.0 subscription identifiers of the matching subscriptions, or null.</param>
/// <param name="SharedVia">The shared subscription it came through, or null: if this member leaves, the message goes to another.</param>
public readonly record struct OutgoingMessage(ApplicationMessage Message, MqttQualityOfService QoS, bool Retain, uint[]? SubscriptionIds, Subscription? SharedVia = null);

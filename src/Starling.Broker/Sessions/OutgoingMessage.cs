using Starling.Broker.Routing;
using Starling.Mqtt;

namespace Starling.Broker.Sessions;

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

/// <summary>A QoS 1 or 2 message sent to the client and not yet fully acknowledged.</summary>
internal sealed class InflightMessage
{
    public InflightMessage(ushort packetId, OutgoingMessage message)
    {
        PacketId = packetId;
        Message = message;
        message.Message.MarkHeld(); // kept until acknowledged, and resent from here
    }

    public ushort PacketId { get; }

    public OutgoingMessage Message { get; }

    /// <summary>QoS 2: PUBREC received and PUBREL sent; waiting for PUBCOMP.</summary>
    public bool Released { get; set; }
}

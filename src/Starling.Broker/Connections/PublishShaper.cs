using Starling.Broker.Routing;
using Starling.Mqtt;

namespace Starling.Broker.Connections;

/// <summary>
/// How one client receives a PUBLISH, decided in one place: its protocol version, the 5.0 per-delivery properties
/// (Subscription Identifiers, the remaining Message Expiry Interval, a Topic Alias), and whether the packet fits the
/// Maximum Packet Size the client announced. The shared message is never cloned: what differs per client is written in
/// place of the shared properties' own (<see cref="MqttPublishOverrides"/>).
/// </summary>
/// <remarks>
/// A client without limits shares one instance per version (an idle connection carries nothing of its own); one with a
/// Maximum Packet Size or topic aliases has its own, whose alias table changes only under its output's lock.
/// </remarks>
internal sealed class PublishShaper
{
    private readonly MqttProtocolVersion _version;
    private readonly uint _maximumPacketSize;
    private readonly int _aliasMaximum;
    private OutboundTopicAliases? _aliases;

    private PublishShaper(MqttProtocolVersion version, uint maximumPacketSize, int aliasMaximum)
    {
        _version = version;
        _maximumPacketSize = maximumPacketSize;
        _aliasMaximum = aliasMaximum;
    }

    /// <summary>For a client whose CONNECT is not accepted yet: nothing is published to it.</summary>
    public static PublishShaper None { get; } = new(MqttProtocolVersion.V311, uint.MaxValue, 0);

    private static PublishShaper Plain311 { get; } = new(MqttProtocolVersion.V311, uint.MaxValue, 0);

    private static PublishShaper Plain310 { get; } = new(MqttProtocolVersion.V310, uint.MaxValue, 0);

    private static PublishShaper Plain500 { get; } = new(MqttProtocolVersion.V500, uint.MaxValue, 0);

    /// <summary>
    /// The shaper for a client: 5.0 may announce a Maximum Packet Size [MQTT-3.1.2-24] and a Topic Alias Maximum
    /// [MQTT-3.1.2-26] (aliases are used up to the smaller of it and <paramref name="brokerAliasMaximum"/>).
    /// </summary>
    public static PublishShaper For(MqttProtocolVersion version, uint clientMaximumPacketSize, int clientAliasMaximum, int brokerAliasMaximum)
    {
        int aliases = version == MqttProtocolVersion.V500 ? Math.Min(clientAliasMaximum, brokerAliasMaximum) : 0;
        uint maximum = version == MqttProtocolVersion.V500 ? clientMaximumPacketSize : uint.MaxValue;
        if (aliases > 0 || maximum != uint.MaxValue)
        {
            return new PublishShaper(version, maximum, aliases);
        }

        return version switch
        {
            MqttProtocolVersion.V500 => Plain500,
            MqttProtocolVersion.V310 => Plain310,
            _ => Plain311,
        };
    }

    /// <summary>
    /// Whether the PUBLISH fits the client's Maximum Packet Size; one that does not is dropped for this client alone, as
    /// if sent [MQTT-3.1.2-25]. Gives the delivery's 5.0 overrides (default before 5.0), worked out once per delivery.
    /// </summary>
    public bool Fits(in OutgoingMessage message, out MqttPublishOverrides overrides)
    {
        overrides = _version == MqttProtocolVersion.V500 ? DeliveryOverrides(message) : default;
        if (_maximumPacketSize == uint.MaxValue)
        {
            return true;
        }

        var largest = _aliasMaximum > 0 ? overrides with { TopicAlias = 1 } : overrides; // the size is checked for the largest form
        int size = MqttPacketWriter.GetPublishSize(_version, message.Message.TopicUtf8.Length, message.Message.Payload.Length, message.QoS, message.Message.Properties, largest);
        return (uint)size <= _maximumPacketSize;
    }

    /// <summary>
    /// Encodes the PUBLISH into <paramref name="buffer"/>, choosing its topic alias. Called under the output's lock, in
    /// the order packets leave, so the client learns each alias before its first use without the topic.
    /// </summary>
    public void Write(SendBuffer buffer, in OutgoingMessage message, MqttPublishOverrides overrides, ushort packetId, bool dup)
    {
        var topic = message.Message.TopicUtf8.AsSpan();
        if (_aliasMaximum > 0)
        {
            var aliases = _aliases ??= new OutboundTopicAliases(_aliasMaximum);
            overrides = overrides with { TopicAlias = aliases.Get(message.Message.Topic, out bool known) };
            if (known)
            {
                topic = default; // the client already maps this alias to the topic [MQTT-3.3.2-12]
            }
        }

        // The message's properties are shared by every delivery; only the overrides are this client's.
        var payload = message.Message.Payload;
        MqttPacketWriter.WritePublishHeader(buffer, _version, topic, payload.Length, message.QoS, message.Retain, dup, packetId, message.Message.Properties, overrides);
        if (buffer.WritePayload(payload))
        {
            message.Message.MarkHeld(); // the batch refers to the payload until it is sent
        }
    }

    /// <summary>What this delivery sends in place of the published per-delivery properties (5.0).</summary>
    private static MqttPublishOverrides DeliveryOverrides(in OutgoingMessage message)
    {
        uint? expiry = null;
        if (message.Message.Properties?.MessageExpiryInterval is { } interval)
        {
            // [MQTT-3.3.2-6] Forward the interval that remains.
            long elapsed = (Environment.TickCount64 - message.Message.CreatedAt) / 1000;
            expiry = (uint)Math.Max(0, interval - elapsed);
        }

        return new MqttPublishOverrides { SubscriptionIdentifiers = message.SubscriptionIds, MessageExpiryInterval = expiry };
    }
}

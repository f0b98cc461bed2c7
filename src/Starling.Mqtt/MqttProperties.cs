namespace Starling.Mqtt;

/// <summary>
/// The MQTT 5.0 properties of one packet. A null member was absent on the wire. Which properties a
/// packet may carry is checked by the reader; the writer writes whatever is set.
/// </summary>
public sealed class MqttProperties
{
    /// <summary>0x01: 0 = unspecified bytes, 1 = UTF-8 payload.</summary>
    public byte? PayloadFormatIndicator { get; set; }

    /// <summary>0x02: lifetime of the message in seconds.</summary>
    public uint? MessageExpiryInterval { get; set; }

    /// <summary>0x03: content type of the payload.</summary>
    public string? ContentType { get; set; }

    /// <summary>0x08: topic for a response.</summary>
    public string? ResponseTopic { get; set; }

    /// <summary>0x09: correlation data for a response.</summary>
    public ReadOnlyMemory<byte>? CorrelationData { get; set; }

    /// <summary>0x0B: subscription identifiers (several on a PUBLISH to a client, one on SUBSCRIBE).</summary>
    public List<uint>? SubscriptionIdentifiers { get; set; }

    /// <summary>0x11: session expiry interval in seconds.</summary>
    public uint? SessionExpiryInterval { get; set; }

    /// <summary>0x12: the client identifier the server assigned.</summary>
    public string? AssignedClientIdentifier { get; set; }

    /// <summary>0x13: the keep alive the server requires.</summary>
    public ushort? ServerKeepAlive { get; set; }

    /// <summary>0x15: authentication method name.</summary>
    public string? AuthenticationMethod { get; set; }

    /// <summary>0x16: authentication data.</summary>
    public ReadOnlyMemory<byte>? AuthenticationData { get; set; }

    /// <summary>0x17: 0 or 1, whether reason strings and user properties may be sent on failures.</summary>
    public byte? RequestProblemInformation { get; set; }

    /// <summary>0x18: delay before the will is published, in seconds.</summary>
    public uint? WillDelayInterval { get; set; }

    /// <summary>0x19: 0 or 1, whether the client wants response information in CONNACK.</summary>
    public byte? RequestResponseInformation { get; set; }

    /// <summary>0x1A: basis for response topics.</summary>
    public string? ResponseInformation { get; set; }

    /// <summary>0x1C: another server to use.</summary>
    public string? ServerReference { get; set; }

    /// <summary>0x1F: human-readable reason.</summary>
    public string? ReasonString { get; set; }

    /// <summary>0x21: how many QoS 1 and 2 publications the sender will process at once.</summary>
    public ushort? ReceiveMaximum { get; set; }

    /// <summary>0x22: highest topic alias the sender accepts.</summary>
    public ushort? TopicAliasMaximum { get; set; }

    /// <summary>0x23: topic alias of this PUBLISH.</summary>
    public ushort? TopicAlias { get; set; }

    /// <summary>0x24: 0 or 1, the highest QoS the server supports.</summary>
    public byte? MaximumQoS { get; set; }

    /// <summary>0x25: 0 or 1, whether the server supports retained messages.</summary>
    public byte? RetainAvailable { get; set; }

    /// <summary>0x26: user properties in wire order.</summary>
    public List<MqttUserProperty>? UserProperties { get; set; }

    /// <summary>0x27: largest packet the sender accepts.</summary>
    public uint? MaximumPacketSize { get; set; }

    /// <summary>0x28: 0 or 1.</summary>
    public byte? WildcardSubscriptionAvailable { get; set; }

    /// <summary>0x29: 0 or 1.</summary>
    public byte? SubscriptionIdentifierAvailable { get; set; }

    /// <summary>0x2A: 0 or 1.</summary>
    public byte? SharedSubscriptionAvailable { get; set; }

    /// <summary>
    /// The properties an application message carries onward in a PUBLISH, in the order they are forwarded:
    /// Payload Format Indicator, Message Expiry Interval, Content Type, Response Topic, Correlation Data and User
    /// Properties [MQTT-3.3.2-4, MQTT-3.3.2-15, MQTT-3.3.2-17, MQTT-3.3.2-20]. Everything else is left out: a will's
    /// Will Delay Interval belongs to the Will Properties only (a strict client rejects a PUBLISH that carries it),
    /// and Topic Alias and Subscription Identifiers are per delivery. Null when none of them is set. A shallow
    /// copy: the user property list is copied, strings and memory are shared.
    /// </summary>
    public MqttProperties? ForPublish()
    {
        if (PayloadFormatIndicator is null && MessageExpiryInterval is null && ContentType is null && ResponseTopic is null
            && CorrelationData is null && UserProperties is null)
        {
            return null;
        }

        return new MqttProperties
        {
            PayloadFormatIndicator = PayloadFormatIndicator,
            MessageExpiryInterval = MessageExpiryInterval,
            ContentType = ContentType,
            ResponseTopic = ResponseTopic,
            CorrelationData = CorrelationData,
            UserProperties = UserProperties is null ? null : [.. UserProperties],
        };
    }

    /// <summary>A shallow copy: lists are copied, strings and memory are shared.</summary>
    public MqttProperties Clone()
    {
        var copy = (MqttProperties)MemberwiseClone();
        copy.SubscriptionIdentifiers = SubscriptionIdentifiers is null ? null : [.. SubscriptionIdentifiers];
        copy.UserProperties = UserProperties is null ? null : [.. UserProperties];
        return copy;
    }
}

using System.Text;
using Starling.Mqtt;

namespace Starling.Broker.Routing;

/// <summary>
/// One published message as the broker holds it: decoded once from the publisher's packet and shared,
/// never copied, by every delivery of it (to subscribers, queues and the retained store).
/// </summary>
public sealed class ApplicationMessage
{
    /// <summary>Creates a message; <paramref name="topicUtf8"/> is the UTF-8 form of <paramref name="topic"/> when the caller has it.</summary>
    public ApplicationMessage(string topic, ReadOnlyMemory<byte> payload, MqttQualityOfService qos, bool retain, MqttProperties? properties = null, string? senderClientId = null, byte[]? topicUtf8 = null)
    {
        Topic = topic;
        TopicUtf8 = topicUtf8 ?? Encoding.UTF8.GetBytes(topic);
        Payload = payload;
        QoS = qos;
        Retain = retain;
        Properties = properties;
        SenderClientId = senderClientId;
        CreatedAt = Environment.TickCount64;
        ExpiresAt = properties?.MessageExpiryInterval is { } expiry ? CreatedAt + (expiry * 1000L) : long.MaxValue;
    }

    /// <summary>The topic name.</summary>
    public string Topic { get; }

    /// <summary>The topic name as UTF-8, the form routing and encoding use.</summary>
    public byte[] TopicUtf8 { get; }

    /// <summary>The payload; owned by this message.</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>The QoS it was published with.</summary>
    public MqttQualityOfService QoS { get; }

    /// <summary>The RETAIN flag it was published with.</summary>
    public bool Retain { get; }

    /// <summary>5.0 properties to forward, or null.</summary>
    public MqttProperties? Properties { get; }

    /// <summary>The client that published it; null for wills of unknown origin or messages the host injected.</summary>
    public string? SenderClientId { get; }

    /// <summary>When the broker received it (Environment.TickCount64), for message expiry.</summary>
    public long CreatedAt { get; }

    /// <summary>5.0: when its Message Expiry Interval runs out (Environment.TickCount64); long.MaxValue when it has none.</summary>
    public long ExpiresAt { get; }

    /// <summary>Whether the Message Expiry Interval has passed: such a message is no longer delivered [MQTT-3.3.2-5].</summary>
    public bool IsExpired => ExpiresAt != long.MaxValue && Environment.TickCount64 >= ExpiresAt;
}

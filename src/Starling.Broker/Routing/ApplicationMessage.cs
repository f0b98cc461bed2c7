using System.Text;
using Starling.Mqtt;

namespace Starling.Broker.Routing;

/// <summary>
/// One published message as the broker holds it: decoded once from the publisher's packet and shared,
/// never copied, by every delivery of it (to subscribers, queues and the retained store).
/// </summary>
/// <remarks>
/// Lifetime rule: whatever keeps a reference to a message past the <see cref="Router.Dispatch"/> call that handed it
/// over (a session queue, an in-flight slot, the retained store, a send batch sharing the payload) calls
/// <see cref="MarkHeld"/>. A publishing connection reuses one message for its small payloads (see
/// <see cref="Connections.ScratchMessage"/>) and may refill it only when nothing marked it held; everything else
/// reads a message only during the dispatch, synchronously, on the publisher's thread.
/// </remarks>
public sealed class ApplicationMessage
{
    private bool _held;

    /// <summary>Creates a message; <paramref name="topicUtf8"/> is the UTF-8 form of <paramref name="topic"/> when the caller has it.</summary>
    public ApplicationMessage(string topic, ReadOnlyMemory<byte> payload, MqttQualityOfService qos, bool retain, MqttProperties? properties = null, string? senderClientId = null, byte[]? topicUtf8 = null)
    {
        Topic = topic;
        TopicUtf8 = topicUtf8 ?? Encoding.UTF8.GetBytes(topic);
        Fill(payload, qos, retain, properties, senderClientId);
    }

    /// <summary>The topic name.</summary>
    public string Topic { get; private set; }

    /// <summary>The topic name as UTF-8, the form routing and encoding use.</summary>
    public byte[] TopicUtf8 { get; private set; }

    /// <summary>The payload; owned by this message.</summary>
    public ReadOnlyMemory<byte> Payload { get; private set; }

    /// <summary>The QoS it was published with.</summary>
    public MqttQualityOfService QoS { get; private set; }

    /// <summary>The RETAIN flag it was published with.</summary>
    public bool Retain { get; private set; }

    /// <summary>5.0 properties to forward, or null.</summary>
    public MqttProperties? Properties { get; private set; }

    /// <summary>The client that published it; null for wills of unknown origin or messages the host injected.</summary>
    public string? SenderClientId { get; private set; }

    /// <summary>When the broker received it (Environment.TickCount64), for message expiry.</summary>
    public long CreatedAt { get; private set; }

    /// <summary>Whether another broker of the cluster sent it here: it is delivered here and not sent on again.</summary>
    public bool FromCluster { get; internal set; }

    /// <summary>When the broker received it (a <see cref="System.Diagnostics.Stopwatch"/> timestamp), for the latency metric.</summary>
    public long ReceivedTimestamp { get; private set; }

    /// <summary>5.0: when its Message Expiry Interval runs out (Environment.TickCount64); long.MaxValue when it has none.</summary>
    public long ExpiresAt { get; private set; }

    /// <summary>Whether the Message Expiry Interval has passed: such a message is no longer delivered [MQTT-3.3.2-5].</summary>
    public bool IsExpired => ExpiresAt != long.MaxValue && Environment.TickCount64 >= ExpiresAt;

    /// <summary>Whether something kept this message past its dispatch; then it is never refilled.</summary>
    internal bool IsHeld => _held;

    /// <summary>
    /// Records that the caller keeps this message beyond the dispatch in progress. Only ever set on the thread
    /// that dispatches the message (every holder takes it inside that call), and read there afterwards, so a
    /// plain field is enough.
    /// </summary>
    internal void MarkHeld() => _held = true;

    /// <summary>
    /// The same message as if published now: a delayed will's Message Expiry Interval starts when the will is
    /// published, not when its connection closed (5.0 section 3.1.3.2.4).
    /// </summary>
    internal ApplicationMessage PublishedNow() => new(Topic, Payload, QoS, Retain, Properties, SenderClientId, TopicUtf8);

    /// <summary>Refills a message nothing holds, for the next PUBLISH of the connection that owns it.</summary>
    internal void Reset(string topic, byte[] topicUtf8, ReadOnlyMemory<byte> payload, MqttQualityOfService qos, bool retain, MqttProperties? properties, string? senderClientId)
    {
        if (_held)
        {
            throw new InvalidOperationException("A held message is never refilled.");
        }

        Topic = topic;
        TopicUtf8 = topicUtf8;
        Fill(payload, qos, retain, properties, senderClientId);
    }

    /// <summary>Drops the payload and properties of a message nothing holds, once its payload array went back to the pool.</summary>
    internal void Clear()
    {
        Payload = default;
        Properties = null;
    }

    private void Fill(ReadOnlyMemory<byte> payload, MqttQualityOfService qos, bool retain, MqttProperties? properties, string? senderClientId)
    {
        Payload = payload;
        QoS = qos;
        Retain = retain;
        Properties = properties;
        SenderClientId = senderClientId;
        FromCluster = false;
        CreatedAt = Environment.TickCount64;
        ReceivedTimestamp = System.Diagnostics.Stopwatch.GetTimestamp();
        ExpiresAt = properties?.MessageExpiryInterval is { } expiry ? CreatedAt + (expiry * 1000L) : long.MaxValue;
    }
}

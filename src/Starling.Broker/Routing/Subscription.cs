using Starling.Mqtt;

namespace Starling.Broker.Routing;

/// <summary>One granted subscription of a session, as the topic tree holds it.</summary>
public sealed class Subscription : ITopicSubscription
{
    /// <summary>A subscription to <paramref name="filter"/> as the client sent it; a <c>$share/group/</c> prefix makes it shared.</summary>
    internal static Subscription Create(ISubscriber subscriber, string filter, MqttQualityOfService qos, bool noLocal, bool retainAsPublished, byte retainHandling, uint subscriptionId)
    {
        string? group = null;
        string topicFilter = filter;
        if (MqttTopic.TryParseShared(filter, out var shareGroup, out var inner, out _))
        {
            group = shareGroup;
            topicFilter = inner;
        }

        return new Subscription(subscriber, filter, topicFilter, group, qos, noLocal, retainAsPublished, retainHandling, subscriptionId);
    }

    internal Subscription(ISubscriber subscriber, string filter, string topicFilter, string? shareGroup, MqttQualityOfService qos, bool noLocal, bool retainAsPublished, byte retainHandling, uint subscriptionId)
    {
        Subscriber = subscriber;
        Filter = filter;
        TopicFilter = topicFilter;
        ShareGroup = shareGroup;
        QoS = qos;
        NoLocal = noLocal;
        RetainAsPublished = retainAsPublished;
        RetainHandling = retainHandling;
        SubscriptionId = subscriptionId;
        SubscriptionIds = subscriptionId == 0 ? null : [subscriptionId];
    }

    /// <summary>The subscribing session.</summary>
    internal ISubscriber Subscriber { get; }

    /// <inheritdoc />
    public string ClientId => Subscriber.ClientId;

    /// <summary>The filter as the client sent it (with any $share prefix); the session's key for it.</summary>
    public string Filter { get; }

    /// <summary>The filter matched against topics (without the $share prefix).</summary>
    public string TopicFilter { get; }

    /// <inheritdoc />
    public string? ShareGroup { get; }

    /// <inheritdoc />
    public bool IsOnline => Subscriber.IsConnected;

    /// <summary>The granted QoS.</summary>
    public MqttQualityOfService QoS { get; }

    /// <summary>5.0 No Local.</summary>
    public bool NoLocal { get; }

    /// <summary>5.0 Retain As Published.</summary>
    public bool RetainAsPublished { get; }

    /// <summary>5.0 Retain Handling.</summary>
    public byte RetainHandling { get; }

    /// <summary>5.0 Subscription Identifier, 0 when none.</summary>
    public uint SubscriptionId { get; }

    /// <summary>
    /// <see cref="SubscriptionId"/> as the list a delivery carries, null when none: made once here, not per
    /// delivery. Shared by every delivery through this subscription, so never changed (the router builds a new
    /// array to combine identifiers).
    /// </summary>
    internal uint[]? SubscriptionIds { get; }
}

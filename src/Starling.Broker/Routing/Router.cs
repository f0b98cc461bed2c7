using Starling.Mqtt;

namespace Starling.Broker.Routing;

/// <summary>
/// Matches a topic against the subscription tree and hands the message to each matching session once.
/// Works in per-thread scratch lists, so routing allocates nothing of its own in the steady state.
/// </summary>
internal sealed class Router
{
    [ThreadStatic]
    private static List<Subscription>? t_matches;

    [ThreadStatic]
    private static Dictionary<ISubscriber, int>? t_bySession;

    [ThreadStatic]
    private static List<PendingDelivery>? t_deliveries;

    private readonly BrokerContext _broker;
    private readonly TopicTree<Subscription> _tree = new();

    public Router(BrokerContext broker) => _broker = broker;

    public int SubscriptionCount => _tree.Count;

    /// <summary>The subscriptions matching a topic, in a per-thread list valid until the next call on this thread.</summary>
    public List<Subscription> Match(ReadOnlySpan<byte> topicUtf8)
    {
        var matches = t_matches ??= [];
        matches.Clear();
        _tree.Match(topicUtf8, matches);
        return matches;
    }

    /// <summary>
    /// Delivers <paramref name="message"/> to the sessions of <paramref name="matches"/>: once per session, at
    /// the highest QoS of its matching subscriptions (capped by the published QoS) [MQTT-3.3.5-1], with every
    /// matching subscription identifier (5.0).
    /// </summary>
    public void Dispatch(ApplicationMessage message, List<Subscription> matches)
    {
        if (matches.Count == 1)
        {
            var only = matches[0];
            if (!IsNoLocalEcho(only, message) && !(only.ShareGroup is not null && Remote is not null))
            {
                only.Subscriber.Deliver(new OutgoingMessage(message, Min(message.QoS, only.QoS), only.RetainAsPublished && message.Retain, only.SubscriptionIds, only.ShareGroup is null ? null : only));
            }

            return;
        }

        if (matches.Count == 0)
        {
            return;
        }

        var bySession = t_bySession ??= [];
        var deliveries = t_deliveries ??= [];
        bySession.Clear();
        deliveries.Clear();
        foreach (var subscription in matches)
        {
            if (IsNoLocalEcho(subscription, message))
            {
                continue;
            }

            var qos = Min(message.QoS, subscription.QoS);
            bool retain = subscription.RetainAsPublished && message.Retain;
            if (subscription.ShareGroup is not null)
            {
                if (Remote is not null)
                {
                    continue; // in a cluster the group's copy comes through DispatchShared, on the one node the cluster chose
                }

                // A shared subscription's copy is delivered on its own, beside any non-shared one (5.0 section 4.8.2).
                deliveries.Add(new PendingDelivery(subscription.Subscriber, qos, retain, subscription.SubscriptionIds, subscription));
                continue;
            }

            if (bySession.TryGetValue(subscription.Subscriber, out int index))
            {
                var existing = deliveries[index];
                deliveries[index] = existing with
                {
                    QoS = qos > existing.QoS ? qos : existing.QoS,
                    Retain = existing.Retain || retain,
                    SubscriptionIds = AddId(existing.SubscriptionIds, subscription),
                };
            }
            else
            {
                bySession[subscription.Subscriber] = deliveries.Count;
                deliveries.Add(new PendingDelivery(subscription.Subscriber, qos, retain, subscription.SubscriptionIds));
            }
        }

        foreach (var delivery in deliveries)
        {
            delivery.Subscriber.Deliver(new OutgoingMessage(message, delivery.QoS, delivery.Retain, delivery.SubscriptionIds, delivery.SharedVia));
        }

        bySession.Clear();
        deliveries.Clear();
    }

    /// <summary>
    /// In a cluster: the one member of shared group <paramref name="shareName"/> at <paramref name="topicFilter"/>
    /// on this broker that gets <paramref name="message"/>, since the cluster chose this broker for it.
    /// </summary>
    public void DispatchShared(ApplicationMessage message, string shareName, string topicFilter)
    {
        foreach (var subscription in Match(message.TopicUtf8))
        {
            if (subscription.ShareGroup == shareName && subscription.TopicFilter == topicFilter)
            {
                if (!IsNoLocalEcho(subscription, message))
                {
                    subscription.Subscriber.Deliver(new OutgoingMessage(message, Min(message.QoS, subscription.QoS), subscription.RetainAsPublished && message.Retain, subscription.SubscriptionIds, subscription));
                }

                return;
            }
        }
    }

    /// <summary>The cluster's other brokers, when there are any: told of the filters and shared groups held here (reference-counted).</summary>
    public IRemoteRoutes? Remote { get; set; }

    // Keys: a non-shared filter as it is, a shared group as its $share/{name}/{filter} form.
    private readonly Dictionary<string, int> _filterCounts = new(StringComparer.Ordinal);

    /// <summary>The key a subscription is counted under, and under which <see cref="IRemoteRoutes.WhenRoutingAsync"/> knows it.</summary>
    public static string RouteKey(Subscription subscription) =>
        subscription.ShareGroup is null ? subscription.TopicFilter : subscription.Filter;

    public void Subscribe(Subscription subscription)
    {
        if (_tree.AddOrReplace(subscription.TopicFilter, subscription, out var replaced) && replaced is null && Remote is { } remote)
        {
            string key = RouteKey(subscription);
            lock (_filterCounts)
            {
                _filterCounts[key] = _filterCounts.GetValueOrDefault(key) + 1;
                if (_filterCounts[key] == 1)
                {
                    if (subscription.ShareGroup is { } share)
                    {
                        remote.SharedGroupAdded(share, subscription.TopicFilter);
                    }
                    else
                    {
                        remote.FilterAdded(subscription.TopicFilter);
                    }
                }
            }
        }
    }

    public void Unsubscribe(Subscription subscription)
    {
        if (_tree.Remove(subscription.TopicFilter, subscription.ClientId, subscription.ShareGroup, out _) && Remote is { } remote)
        {
            string key = RouteKey(subscription);
            lock (_filterCounts)
            {
                if (_filterCounts.TryGetValue(key, out int count))
                {
                    if (count <= 1)
                    {
                        _filterCounts.Remove(key);
                        if (subscription.ShareGroup is { } share)
                        {
                            remote.SharedGroupRemoved(share, subscription.TopicFilter);
                        }
                        else
                        {
                            remote.FilterRemoved(subscription.TopicFilter);
                        }
                    }
                    else
                    {
                        _filterCounts[key] = count - 1;
                    }
                }
            }
        }
    }

    private static bool IsNoLocalEcho(Subscription subscription, ApplicationMessage message) =>
        subscription.NoLocal && message.SenderClientId is not null && string.Equals(subscription.ClientId, message.SenderClientId, StringComparison.Ordinal);

    private static MqttQualityOfService Min(MqttQualityOfService a, MqttQualityOfService b) => a < b ? a : b;

    /// <summary>The identifiers so far plus the subscription's; a new array only when both have some (the cached ones are never changed).</summary>
    private static uint[]? AddId(uint[]? ids, Subscription subscription)
    {
        if (subscription.SubscriptionIds is null)
        {
            return ids;
        }

        return ids is null ? subscription.SubscriptionIds : [.. ids, subscription.SubscriptionId];
    }

    /// <summary>
    /// Hands the QoS 1/2 messages a leaving member of a shared group still held (queued or unacknowledged) to
    /// another member of the group, so they are not lost with it. With no other member, they stay where they are.
    /// </summary>
    public void Redistribute(ISubscriber leaving, List<OutgoingMessage> messages)
    {
        foreach (var held in messages)
        {
            var shared = held.SharedVia!;
            Subscription? other = null;
            foreach (var candidate in Match(held.Message.TopicUtf8))
            {
                if (candidate.Subscriber != leaving && candidate.ShareGroup == shared.ShareGroup && candidate.TopicFilter == shared.TopicFilter)
                {
                    other = candidate;
                    break;
                }
            }

            if (other is null)
            {
                leaving.Deliver(held);
                continue;
            }

            other.Subscriber.Deliver(held with { QoS = Min(held.Message.QoS, other.QoS), SubscriptionIds = other.SubscriptionIds, SharedVia = other });
        }
    }

    private readonly record struct PendingDelivery(ISubscriber Subscriber, MqttQualityOfService QoS, bool Retain, uint[]? SubscriptionIds, Subscription? SharedVia = null);
}

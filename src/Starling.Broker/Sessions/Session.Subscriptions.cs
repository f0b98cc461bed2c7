using Starling.Broker.Routing;

namespace Starling.Broker.Sessions;

/// <summary>
/// The session's subscriptions, keyed by the filter as the client sent it (<see cref="Subscription.Filter"/>).
/// Most sessions hold none or one, so one is kept in a field and a dictionary exists only from the second
/// on: a dictionary with one entry costs about 200 bytes, which an idle client would carry for nothing.
/// Guarded by <see cref="Gate"/> like the rest of the session.
/// </summary>
public sealed partial class Session
{
    private Subscription? _subscription;
    private Dictionary<string, Subscription>? _subscriptions;

    internal int SubscriptionCount
    {
        get
        {
            lock (Gate)
            {
                return _subscriptions?.Count ?? (_subscription is null ? 0 : 1);
            }
        }
    }

    internal bool HasSubscription(string filter)
    {
        lock (Gate)
        {
            return _subscriptions?.ContainsKey(filter) ?? _subscription?.Filter == filter;
        }
    }

    /// <summary>Adds <paramref name="subscription"/>, replacing one to the same filter [MQTT-3.8.4-3]; true when it is new.</summary>
    internal bool SetSubscriptionLocked(Subscription subscription)
    {
        if (_subscriptions is { } many)
        {
            bool isNew = !many.ContainsKey(subscription.Filter);
            many[subscription.Filter] = subscription;
            return isNew;
        }

        if (_subscription is null || _subscription.Filter == subscription.Filter)
        {
            bool isNew = _subscription is null;
            _subscription = subscription;
            return isNew;
        }

        _subscriptions = new Dictionary<string, Subscription>(StringComparer.Ordinal)
        {
            [_subscription.Filter] = _subscription,
            [subscription.Filter] = subscription,
        };
        _subscription = null;
        return true;
    }

    /// <summary>Removes the subscription to <paramref name="filter"/>; null when there was none.</summary>
    internal Subscription? RemoveSubscriptionLocked(string filter)
    {
        if (_subscriptions is { } many)
        {
            return many.Remove(filter, out var removed) ? removed : null;
        }

        if (_subscription?.Filter == filter)
        {
            var removed = _subscription;
            _subscription = null;
            return removed;
        }

        return null;
    }

    /// <summary>
    /// Applies access rules changed after the fact: removes the subscriptions <paramref name="revocation"/> refuses
    /// (from the tree too, under the gate, so a concurrent SUBSCRIBE or UNSUBSCRIBE never leaves the two
    /// disagreeing) and drops the queued messages on topics it refuses, as mosquitto checks read access when it
    /// sends. Messages already in flight still complete: the protocol has them resent until acknowledged
    /// [MQTT-4.4.0-1]. Returns how many subscriptions were removed.
    /// </summary>
    internal int Revoke(SubscriptionRevocation revocation, Router router)
    {
        lock (Gate)
        {
            int removed = 0;
            foreach (var subscription in SubscriptionsLocked())
            {
                if (!revocation.Keeps(this, subscription.Filter))
                {
                    RemoveSubscriptionLocked(subscription.Filter);
                    router.Unsubscribe(subscription);
                    removed++;
                }
            }

            DropQueuedLocked(revocation);
            if (removed > 0)
            {
                JournalHeaderLocked();
            }

            return removed;
        }
    }

    /// <summary>A copy of every subscription.</summary>
    /// <summary>The session's subscriptions now.</summary>
    public Subscription[] Subscriptions()
    {
        lock (Gate)
        {
            return SubscriptionsLocked();
        }
    }

    internal Subscription[] SubscriptionsLocked() =>
        _subscriptions is { } many ? [.. many.Values] : _subscription is { } one ? [one] : [];

    private void ClearSubscriptionsLocked()
    {
        _subscription = null;
        _subscriptions = null;
    }
}

using Starling.Broker.Diagnostics;
using Starling.Broker.Routing;
using Starling.Mqtt;

namespace Starling.Broker;

/// <summary>What an operator sees and does through the admin API: clients, sessions, subscriptions, a kick.</summary>
public sealed partial class MqttBroker
{
    /// <summary>Sees every message routed and, for the trace, every packet (see <see cref="IBrokerObserver"/>); null when no one watches.</summary>
    public IBrokerObserver? Observer
    {
        get => _context.Observer;
        set => _context.Observer = value;
    }

    /// <summary>
    /// Joins a cluster: <paramref name="remote"/> is told of this broker's topic filters (those held now, then each
    /// change) and handed every message published here. Call before <see cref="Start"/>.
    /// </summary>
    public void AttachCluster(IRemoteRoutes remote)
    {
        ArgumentNullException.ThrowIfNull(remote);
        _context.Router.Remote = remote;
    }

    /// <summary>
    /// Joins a cluster's session ownership: <paramref name="sessions"/> is asked before each client's session is taken
    /// up here (see <see cref="Sessions.IRemoteSessions"/>). Call before <see cref="Start"/>.
    /// </summary>
    public void AttachClusterSessions(Sessions.IRemoteSessions sessions)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        _context.RemoteSessions = sessions;
    }

    /// <summary>
    /// Another broker of the cluster takes <paramref name="clientId"/>'s session: a client connected here is closed as
    /// taken over (5.0: DISCONNECT 0x8E [MQTT-3.1.4-3]) and the session leaves this broker. Returns its state (queue,
    /// in flight, subscriptions, incoming QoS 2 ids) when <paramref name="export"/> and it would have been resumed here.
    /// </summary>
    public Storage.StoredSession? HandOverSession(string clientId, bool export)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        var record = _context.Sessions.HandOver(clientId, export, out var previous);
        (previous as Connections.MqttConnection)?.TakeOver();
        return record;
    }

    /// <summary>
    /// What a cluster keeps of <paramref name="clientId"/>'s session so that another broker can take it up, and publish
    /// its client's will, if this one dies (see <see cref="Sessions.IRemoteSessions.SessionChanged"/>); null when there is none here.
    /// </summary>
    public Sessions.ClusterSessionState? ClusterState(string clientId)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        return _context.Sessions.ClusterState(clientId);
    }

    /// <summary>
    /// Publishes the will of a client whose broker died, on behalf of that broker: to this broker's subscribers and,
    /// through the cluster, to the others (the cluster makes sure one broker does it).
    /// </summary>
    public void PublishWillOfLostClient(ApplicationMessage will)
    {
        ArgumentNullException.ThrowIfNull(will);
        _context.Publish(will);
    }

    /// <summary>
    /// Drops this broker's copy of a disconnected session that another broker of the cluster owns now, without
    /// publishing its will (the owner answers for it); false when there is none or its client is connected here.
    /// </summary>
    public bool DiscardSession(string clientId)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        return _context.Sessions.Discard(clientId, evenConnected: false, out _);
    }

    /// <summary>
    /// This broker learned that another broker of the cluster took <paramref name="clientId"/>'s session up while it
    /// could not hear the cluster (a partition): its copy ends, and a client connected here is closed as taken over
    /// (5.0: DISCONNECT 0x8E), with no will (the new owner published it). False when it holds no such session.
    /// </summary>
    public bool FenceSession(string clientId)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        if (!_context.Sessions.Discard(clientId, evenConnected: true, out var previous))
        {
            return false;
        }

        (previous as Connections.MqttConnection)?.Fence();
        return true;
    }

    /// <summary>Takes up a session another broker handed over (<see cref="HandOverSession"/>), for its client about to connect here.</summary>
    public void ImportSession(Storage.StoredSession record)
    {
        ArgumentNullException.ThrowIfNull(record);
        _context.Sessions.Import(record);
    }

    /// <summary>
    /// Delivers a message another broker of the cluster sent: to this broker's subscribers, stored if retained, and
    /// not sent on again. Its <see cref="ApplicationMessage.SenderClientId"/> keeps No Local working across brokers.
    /// </summary>
    public void PublishFromCluster(ApplicationMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        message.FromCluster = true;
        _context.Publish(message);
    }

    /// <summary>
    /// Delivers a message the cluster chose this broker for, to one member here of the shared subscription
    /// <paramref name="shareName"/> at <paramref name="topicFilter"/> (see <see cref="Routing.IRemoteRoutes.SharedGroupAdded"/>).
    /// Its other subscribers get it through <see cref="PublishFromCluster"/> or, published here, directly.
    /// </summary>
    public void PublishToSharedGroupFromCluster(ApplicationMessage message, string shareName, string topicFilter)
    {
        ArgumentNullException.ThrowIfNull(message);
        message.FromCluster = true;
        _context.Router.DispatchShared(message, shareName, topicFilter);
    }

    /// <summary>
    /// Stores (or, with an empty payload, deletes [MQTT-3.3.1-10]) a retained message another broker of the cluster
    /// received, without delivering it: its delivery comes through <see cref="PublishFromCluster"/>.
    /// </summary>
    public void StoreRetainedFromCluster(ApplicationMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (_context.Options.RetainAvailable)
        {
            _context.StoreRetained(message);
        }
    }

    /// <summary>The clients connected now.</summary>
    public IReadOnlyList<ClientSnapshot> Clients()
    {
        var clients = new List<ClientSnapshot>(_context.Connections.Count);
        foreach (var connection in _context.Connections.Keys)
        {
            if (connection.Snapshot() is { } snapshot)
            {
                clients.Add(snapshot);
            }
        }

        return clients;
    }

    /// <summary>Every session held, online or offline.</summary>
    public IReadOnlyList<SessionSnapshot> SessionSnapshots() =>
        [.. _context.Sessions.Live.Snapshot().Select(s => new SessionSnapshot(s.ClientId, s.IsConnected, s.ExpiryIntervalSeconds, s.InflightCount, s.PendingCount, s.SubscriptionCount))];

    /// <summary>The subscriptions of every session, or of <paramref name="clientId"/>'s only.</summary>
    public IReadOnlyList<Subscription> SubscriptionsOf(string? clientId = null)
    {
        if (clientId is not null)
        {
            return _context.Sessions.Live.TryGet(clientId, out var one) ? one.Subscriptions() : [];
        }

        return [.. _context.Sessions.Live.Snapshot().SelectMany(s => s.Subscriptions())];
    }

    /// <summary>Disconnects <paramref name="clientId"/> (5.0: DISCONNECT 0x98 first); false when it is not connected.</summary>
    public bool Disconnect(string clientId)
    {
        foreach (var connection in _context.Connections.Keys)
        {
            if (connection.IsConnected && connection.Client?.ClientId == clientId)
            {
                connection.Kick();
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Adds a subscription to <paramref name="clientId"/>'s session, online or offline, as its client's SUBSCRIBE
    /// would (replacing one to the same filter [MQTT-3.8.4-3]); no retained messages are sent for it. False when the
    /// client has no session; <see cref="ArgumentException"/> for a filter that is not valid.
    /// </summary>
    public bool Subscribe(string clientId, string filter, MqttQualityOfService qos)
    {
        if (!MqttTopic.IsValidTopicFilter(filter))
        {
            throw new ArgumentException($"'{filter}' is not a valid topic filter.", nameof(filter));
        }

        if (!_context.Sessions.Live.TryGet(clientId, out var session))
        {
            return false;
        }

        var subscription = Subscription.Create(session, filter, (MqttQualityOfService)Math.Min((int)qos, _context.Options.MaximumQoS), noLocal: false, retainAsPublished: false, retainHandling: 0, subscriptionId: 0);
        lock (session.Gate)
        {
            if (session.Ended)
            {
                return false;
            }

            session.SetSubscriptionLocked(subscription);
            _context.Router.Subscribe(subscription);
            session.JournalHeaderLocked();
        }

        return true;
    }

    /// <summary>Removes <paramref name="clientId"/>'s subscription to <paramref name="filter"/>; false when there is none.</summary>
    public bool Unsubscribe(string clientId, string filter)
    {
        if (!_context.Sessions.Live.TryGet(clientId, out var session))
        {
            return false;
        }

        lock (session.Gate)
        {
            if (session.RemoveSubscriptionLocked(filter) is not { } removed)
            {
                return false;
            }

            _context.Router.Unsubscribe(removed);
            session.JournalHeaderLocked();
            return true;
        }
    }

    /// <summary>The gauges, read when metrics are collected.</summary>
    private BrokerState CurrentState()
    {
        int online = 0;
        int offline = 0;
        long inflight = 0;
        long queued = 0;
        foreach (var session in _context.Sessions.Live.Snapshot())
        {
            if (session.IsConnected)
            {
                online++;
            }
            else
            {
                offline++;
            }

            inflight += session.InflightCount;
            queued += session.PendingCount;
        }

        return new BrokerState(_context.Connections.Count, online, offline, _context.Router.SubscriptionCount, _context.Retained.Count, inflight, queued);
    }
}

using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Starling.Broker.Connections;
using Starling.Broker.Diagnostics;
using Starling.Broker.Hooks;
using Starling.Broker.Routing;
using Starling.Broker.Sessions;
using Starling.Broker.Storage;

namespace Starling.Broker;

/// <summary>The services every connection and session of one broker shares.</summary>
internal sealed class BrokerContext
{
    public BrokerContext(BrokerOptions options, HookChain hooks, IRetainedMessageStore retained, ISessionStateStore? sessionState, ISessionJournal? journal, ILogger logger)
    {
        Journal = journal is null ? null : new JournalWriter(journal);
        Options = options;
        Hooks = hooks;
        Logger = logger;
        Retained = retained;
        Router = new Router(this);
        Sessions = new SessionManager(this, sessionState);
    }

    public BrokerOptions Options { get; }

    public HookChain Hooks { get; }

    public ILogger Logger { get; }

    public BrokerMetrics Metrics { get; } = new();

    public IRetainedMessageStore Retained { get; }

    /// <summary>
    /// Where every change to persistable state is appended for a durable backend, or null: then sessions are saved
    /// whole to the session state store when they detach and when the broker stops.
    /// </summary>
    public JournalWriter? Journal { get; }

    public Router Router { get; }

    public SessionManager Sessions { get; }

    /// <summary>Cancelled when the broker stops; hooks receive it.</summary>
    public CancellationTokenSource Stopping { get; } = new();

    /// <summary>The cluster's session ownership (<see cref="MqttBroker.AttachClusterSessions"/>); null on a single broker.</summary>
    public Sessions.IRemoteSessions? RemoteSessions { get; set; }

    /// <summary>Every open connection: the keep-alive sweep and the graceful stop walk it.</summary>
    public ConcurrentDictionary<MqttConnection, byte> Connections { get; } = new();

    private volatile Diagnostics.IBrokerObserver? _observer;

    /// <summary>Sees traffic while a monitor watches (<see cref="MqttBroker.Observer"/>); null, and free, otherwise.</summary>
    public Diagnostics.IBrokerObserver? Observer
    {
        get => _observer;
        set => _observer = value;
    }

    /// <summary>Completed when the last connection has closed after the stop began.</summary>
    public TaskCompletionSource AllClosed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public volatile bool IsStopping;

    /// <summary>The access rules last applied after the fact (<see cref="MqttBroker.RevokeSubscriptions"/>), or null.</summary>
    public volatile SubscriptionRevocation? LatestRevocation;

    /// <summary>
    /// Every publish ends here, a client's PUBLISH, a will or the host's: stored if retained (and retain is available),
    /// then delivered to <paramref name="matches"/>. A caller that has not matched yet passes none: the topic is then
    /// matched after the store, so a subscriber that read the store too early to find the message is in the matches.
    /// A client's PUBLISH is matched first, as it builds the message only when someone subscribes or it is retained.
    /// </summary>
    public void Publish(ApplicationMessage message, List<Subscription>? matches = null)
    {
        Observer?.OnPublish(message);
        if (!message.FromCluster && Router.Remote is { } remote)
        {
            remote.Forward(message);
        }

        if (message.Retain && Options.RetainAvailable && !message.FromCluster)
        {
            // From another broker, a retained message is stored through the cluster's own retained feed, in order.
            StoreRetained(message);
        }

        Router.Dispatch(message, matches ?? Router.Match(message.TopicUtf8));
    }

    /// <summary>
    /// Keeps a retained message for the topic's future subscribers, replacing any previous one [MQTT-3.3.1-5]; an
    /// empty payload deletes the topic's instead [MQTT-3.3.1-10].
    /// </summary>
    public void StoreRetained(ApplicationMessage message)
    {
        if (message.Payload.IsEmpty)
        {
            RemoveRetained(message.Topic);
        }
        else
        {
            message.MarkHeld(); // the store keeps it after the dispatch
            Journal?.Append(new JournalEntry(JournalEntryKind.RetainedSet, message.Topic, Retained: message));
            Retained.Set(message);
        }
    }

    /// <summary>Deletes a topic's retained message.</summary>
    public void RemoveRetained(string topic)
    {
        Journal?.Append(new JournalEntry(JournalEntryKind.RetainedRemoved, topic));
        Retained.Remove(topic);
    }

    public void ConnectionClosed(MqttConnection connection)
    {
        Connections.TryRemove(connection, out _);
        if (IsStopping && Connections.IsEmpty)
        {
            AllClosed.TrySetResult();
        }
    }
}

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
    public BrokerContext(BrokerOptions options, HookChain hooks, ISessionStore sessionStore, IRetainedMessageStore retained, ILogger logger)
    {
        Options = options;
        Hooks = hooks;
        Logger = logger;
        Retained = retained;
        Router = new Router(this);
        Sessions = new SessionManager(this, sessionStore);
    }

    public BrokerOptions Options { get; }

    public HookChain Hooks { get; }

    public ILogger Logger { get; }

    public BrokerMetrics Metrics { get; } = new();

    public IRetainedMessageStore Retained { get; }

    public Router Router { get; }

    public SessionManager Sessions { get; }

    /// <summary>Cancelled when the broker stops; hooks receive it.</summary>
    public CancellationTokenSource Stopping { get; } = new();

    /// <summary>Every open connection: the keep-alive sweep and the graceful stop walk it.</summary>
    public ConcurrentDictionary<MqttConnection, byte> Connections { get; } = new();

    /// <summary>Completed when the last connection has closed after the stop began.</summary>
    public TaskCompletionSource AllClosed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public volatile bool IsStopping;

    /// <summary>The access rules last applied after the fact (<see cref="MqttBroker.RevokeSubscriptions"/>), or null.</summary>
    public volatile SubscriptionRevocation? LatestRevocation;

    /// <summary>Publishes a will: retained if asked, then routed as any message.</summary>
    public void PublishWill(ApplicationMessage will)
    {
        if (will.Retain && Options.RetainAvailable)
        {
            StoreRetained(will);
        }

        Router.Publish(will);
    }

    /// <summary>
    /// Keeps a retained message for the topic's future subscribers, replacing any previous one [MQTT-3.3.1-5]; an
    /// empty payload deletes the topic's instead [MQTT-3.3.1-10].
    /// </summary>
    public void StoreRetained(ApplicationMessage message)
    {
        if (message.Payload.IsEmpty)
        {
            Retained.Remove(message.Topic);
        }
        else
        {
            message.MarkHeld(); // the store keeps it after the dispatch
            Retained.Set(message);
        }
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

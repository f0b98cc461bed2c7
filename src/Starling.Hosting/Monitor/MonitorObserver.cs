using Starling.Broker;
using Starling.Broker.Diagnostics;
using Starling.Broker.Routing;
using Starling.Mqtt;

namespace Starling.Hosting.Monitor;

/// <summary>
/// Feeds the topic explorer and the live traces from the broker, attached (<see cref="MqttBroker.Observer"/>) only
/// while someone watches: a tree request keeps it for <see cref="WatchWindow"/>, an open trace for as long as it is
/// open. Detached, the broker's hot path pays one null check.
/// </summary>
internal sealed class MonitorObserver(MqttBroker broker, TopicExplorer explorer, PacketTrace trace) : IBrokerObserver
{
    public static readonly TimeSpan WatchWindow = TimeSpan.FromSeconds(60);
    private long _treeWatchedUntil;

    /// <summary>Someone looked at the tree: keep it filling for <see cref="WatchWindow"/>.</summary>
    public void TreeWatched()
    {
        bool wasWatched = Environment.TickCount64 < Interlocked.Read(ref _treeWatchedUntil);
        Interlocked.Exchange(ref _treeWatchedUntil, Environment.TickCount64 + (long)WatchWindow.TotalMilliseconds);
        if (!wasWatched)
        {
            explorer.SeedRetained();
        }

        Update();
    }

    /// <summary>Attaches or detaches, as the watchers require (after each watch, and once a second).</summary>
    public void Update()
    {
        bool wanted = !trace.IsEmpty || Environment.TickCount64 < Interlocked.Read(ref _treeWatchedUntil);
        broker.Observer = wanted ? this : null;
    }

    private bool TreeOn => Environment.TickCount64 < Volatile.Read(ref _treeWatchedUntil);

    public void OnPublish(ApplicationMessage message)
    {
        if (TreeOn)
        {
            explorer.Record(message);
        }

        if (!trace.IsEmpty)
        {
            trace.OnPublish(message);
        }
    }

    public void OnDeliver(string clientId, in OutgoingMessage message, ushort packetId)
    {
        if (!trace.IsEmpty)
        {
            trace.OnDeliver(clientId, message, packetId);
        }
    }

    public void OnPacket(string clientId, bool incoming, MqttPacketType type, int size)
    {
        if (!trace.IsEmpty)
        {
            trace.OnPacket(clientId, incoming, type, size);
        }
    }
}

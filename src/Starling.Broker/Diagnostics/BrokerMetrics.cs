using System.Diagnostics.Metrics;

namespace Starling.Broker.Diagnostics;

/// <summary>Counters the broker exports through System.Diagnostics.Metrics (meter "Starling.Broker").</summary>
public sealed class BrokerMetrics : IDisposable
{
    private readonly Meter _meter = new("Starling.Broker");
    private readonly Counter<long> _connectionsAccepted;
    private readonly Counter<long> _messagesReceived;
    private readonly Counter<long> _qos0Dropped;
    private readonly Counter<long> _queueFullDropped;
    private readonly Counter<long> _protocolErrors;
    private readonly Counter<long> _oversizeDropped;
    private readonly Counter<long> _limitsHit;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, System.Runtime.CompilerServices.StrongBox<long>> _limitTotals = new(StringComparer.Ordinal);
    private long _qos0DroppedTotal;
    private long _queueFullDroppedTotal;

    /// <summary>Creates the instruments.</summary>
    public BrokerMetrics()
    {
        _connectionsAccepted = _meter.CreateCounter<long>("starling.connections.accepted");
        _messagesReceived = _meter.CreateCounter<long>("starling.messages.received");
        _qos0Dropped = _meter.CreateCounter<long>("starling.messages.dropped.qos0", description: "QoS 0 messages dropped because a client's send buffer was full");
        _queueFullDropped = _meter.CreateCounter<long>("starling.messages.dropped.queue_full", description: "Messages dropped because a session queue was full");
        _protocolErrors = _meter.CreateCounter<long>("starling.protocol_errors");
        _limitsHit = _meter.CreateCounter<long>("starling.limits.hit", description: "Times a configured limit refused or slowed something; tag 'limit' names it");
        _oversizeDropped = _meter.CreateCounter<long>("starling.messages.dropped.too_large", description: "Messages dropped for one client because they exceed its Maximum Packet Size");
    }

    /// <summary>QoS 0 messages dropped so far because a send buffer was full.</summary>
    public long QoS0DroppedTotal => Interlocked.Read(ref _qos0DroppedTotal);

    /// <summary>Messages dropped so far because a session queue was full.</summary>
    public long QueueFullDroppedTotal => Interlocked.Read(ref _queueFullDroppedTotal);

    internal void ConnectionAccepted() => _connectionsAccepted.Add(1);

    internal void MessageReceived() => _messagesReceived.Add(1);

    internal void ProtocolError() => _protocolErrors.Add(1);

    internal void OversizeDropped() => _oversizeDropped.Add(1);

    /// <summary>Counts a limit being hit; <paramref name="limit"/> is the option's name.</summary>
    internal void LimitHit(string limit)
    {
        // Lock-free: the in-flight limit is counted on the delivery path.
        Interlocked.Increment(ref _limitTotals.GetOrAdd(limit, static _ => new System.Runtime.CompilerServices.StrongBox<long>()).Value);
        _limitsHit.Add(1, new KeyValuePair<string, object?>("limit", limit));
    }

    /// <summary>How often a limit was hit so far, by option name.</summary>
    public long LimitHits(string limit)
    {
        return _limitTotals.TryGetValue(limit, out var total) ? Interlocked.Read(ref total.Value) : 0;
    }

    internal void QoS0Dropped()
    {
        Interlocked.Increment(ref _qos0DroppedTotal);
        _qos0Dropped.Add(1);
    }

    internal void QueueFullDropped()
    {
        Interlocked.Increment(ref _queueFullDroppedTotal);
        _queueFullDropped.Add(1);
    }

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();
}

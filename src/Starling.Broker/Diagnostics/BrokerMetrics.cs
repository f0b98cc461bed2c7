using System.Diagnostics.Metrics;

namespace Starling.Broker.Diagnostics;

/// <summary>
/// Counters the broker exports through System.Diagnostics.Metrics (meter "Starling.Broker", names in the
/// OpenTelemetry style). What is counted per message goes to <see cref="StripedCounter"/>s, read by observable
/// instruments only when a listener collects, so the hot path takes no lock and allocates nothing for them.
/// </summary>
public sealed class BrokerMetrics : IDisposable
{
    /// <summary>The meter's name, for exporters and <c>dotnet-counters monitor --counters Starling.Broker</c>.</summary>
    public const string MeterName = "Starling.Broker";

    /// <summary>One in this many delivered messages has its receive-to-write latency recorded.</summary>
    private const int LatencySampling = 64;

    /// <summary>The tag on each broker's meter that tells brokers sharing a process apart (an exporter keeps its own broker's).</summary>
    public const string InstanceTag = "starling.broker.instance";

    private static int _instances;
    private readonly Meter _meter;
    private readonly StripedCounter[] _received = [new(), new(), new()];
    private readonly StripedCounter[] _sent = [new(), new(), new()];
    private readonly StripedCounter _bytesReceived = new();
    private readonly StripedCounter _bytesSent = new();
    private readonly StripedCounter _accepted = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, System.Runtime.CompilerServices.StrongBox<long>> _refused = new(StringComparer.Ordinal);
    private readonly Histogram<double> _latency;
    private Func<BrokerState>? _state;
    private long _protocolErrorsTotal;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, System.Runtime.CompilerServices.StrongBox<long>> _limitTotals = new(StringComparer.Ordinal);
    private long _qos0DroppedTotal;
    private long _queueFullDroppedTotal;
    private long _oversizeDroppedTotal;

    /// <summary>Creates the instruments.</summary>
    public BrokerMetrics()
    {
        Instance = Interlocked.Increment(ref _instances);
        _meter = new Meter(new MeterOptions(MeterName) { Tags = [new KeyValuePair<string, object?>(InstanceTag, Instance)] });
        _meter.CreateObservableCounter("starling.connections.accepted", () => _accepted.Value, description: "Connections accepted by a listener");
        _meter.CreateObservableCounter("starling.connections.refused", RefusedMeasurements, description: "CONNECTs refused; tag 'reason' is the CONNACK reason");
        _meter.CreateObservableCounter("starling.messages.received", () => ByQoS(_received), description: "PUBLISH packets received, by QoS");
        _meter.CreateObservableCounter("starling.messages.sent", () => ByQoS(_sent), description: "PUBLISH packets written to clients, by QoS");
        _meter.CreateObservableCounter("starling.bytes.received", () => _bytesReceived.Value, unit: "By", description: "Bytes read from clients");
        _meter.CreateObservableCounter("starling.bytes.sent", () => _bytesSent.Value, unit: "By", description: "Bytes written to clients");
        _meter.CreateObservableCounter("starling.messages.dropped", DroppedMeasurements, description: "Messages dropped, by reason");
        _meter.CreateObservableUpDownCounter("starling.connections.current", () => State.Connections, description: "Connections open now");
        _meter.CreateObservableUpDownCounter("starling.sessions", SessionMeasurements, description: "Sessions, by state (online, offline)");
        _meter.CreateObservableUpDownCounter("starling.subscriptions", () => State.Subscriptions, description: "Subscriptions in the topic tree");
        _meter.CreateObservableUpDownCounter("starling.retained.messages", () => State.RetainedMessages, description: "Retained messages");
        _meter.CreateObservableUpDownCounter("starling.messages.inflight", () => State.Inflight, description: "QoS 1/2 messages sent and not yet acknowledged, over every session");
        _meter.CreateObservableUpDownCounter("starling.messages.queued", () => State.Queued, description: "Messages waiting in session queues");
        _latency = _meter.CreateHistogram<double>("starling.publish.latency", unit: "ms", description: $"From a PUBLISH read to its copy written to a subscriber's send buffer (one in {LatencySampling} copies)");
        // Observable too, read from the totals: an instrument counted with Add costs its listener's aggregation on
        // every call, and the in-flight limit is hit on the delivery path (measured: QoS 1 p2p 17% slower with Add).
        _meter.CreateObservableCounter("starling.messages.dropped.qos0", () => QoS0DroppedTotal, description: "QoS 0 messages dropped because a client's send buffer was full");
        _meter.CreateObservableCounter("starling.messages.dropped.queue_full", () => QueueFullDroppedTotal, description: "Messages dropped because a session queue was full");
        _meter.CreateObservableCounter("starling.protocol_errors", () => Interlocked.Read(ref _protocolErrorsTotal));
        _meter.CreateObservableCounter("starling.limits.hit", LimitMeasurements, description: "Times a configured limit refused or slowed something; tag 'limit' names it");
        _meter.CreateObservableCounter("starling.messages.dropped.too_large", () => Interlocked.Read(ref _oversizeDroppedTotal), description: "Messages dropped for one client because they exceed its Maximum Packet Size");
    }

    /// <summary>QoS 0 messages dropped so far because a send buffer was full.</summary>
    public long QoS0DroppedTotal => Interlocked.Read(ref _qos0DroppedTotal);

    /// <summary>Messages dropped so far because a session queue was full.</summary>
    public long QueueFullDroppedTotal => Interlocked.Read(ref _queueFullDroppedTotal);

    /// <summary>This broker's number in the process, the value of its meter's <see cref="InstanceTag"/>.</summary>
    public int Instance { get; }

    /// <summary>Whether <paramref name="meter"/> is this broker's.</summary>
    public bool Owns(Meter meter) => ReferenceEquals(meter, _meter);

    /// <summary>Connections accepted so far.</summary>
    public long ConnectionsAccepted => _accepted.Value;

    /// <summary>PUBLISH packets received so far, over every QoS.</summary>
    public long MessagesReceived => _received[0].Value + _received[1].Value + _received[2].Value;

    /// <summary>PUBLISH packets written to clients so far, over every QoS.</summary>
    public long MessagesSent => _sent[0].Value + _sent[1].Value + _sent[2].Value;

    /// <summary>Bytes read from clients so far.</summary>
    public long BytesReceived => _bytesReceived.Value;

    /// <summary>Bytes written to clients so far.</summary>
    public long BytesSent => _bytesSent.Value;

    /// <summary>Messages dropped so far, for any reason.</summary>
    public long MessagesDropped => QoS0DroppedTotal + QueueFullDroppedTotal + Interlocked.Read(ref _oversizeDroppedTotal);

    /// <summary>The gauges now (connections, sessions, subscriptions...).</summary>
    /// <remarks>
    /// One collection reads it for six instruments, and each read walks every session: a reading is reused for a
    /// quarter of a second, so a scrape walks them once.
    /// </remarks>
    public BrokerState State
    {
        get
        {
            var cached = Volatile.Read(ref _stateReading);
            long now = Environment.TickCount64;
            if (cached is not null && now - cached.At < 250)
            {
                return cached.State;
            }

            var state = _state?.Invoke() ?? default;
            Volatile.Write(ref _stateReading, new StateReading(state, now));
            return state;
        }
    }

    private StateReading? _stateReading;

    private sealed record StateReading(BrokerState State, long At);

    /// <summary>CONNECTs refused so far, by reason.</summary>
    public IReadOnlyDictionary<string, long> ConnectionsRefused => _refused.ToDictionary(p => p.Key, p => Interlocked.Read(ref p.Value.Value), StringComparer.Ordinal);

    internal void ObserveState(Func<BrokerState> state) => _state = state;

    internal void ConnectionAccepted() => _accepted.Increment();

    internal void ConnectionRefused(string reason) =>
        Interlocked.Increment(ref _refused.GetOrAdd(reason, static _ => new System.Runtime.CompilerServices.StrongBox<long>()).Value);

    internal void MessageReceived(Starling.Mqtt.MqttQualityOfService qos) => _received[(int)qos % 3].Increment();

    internal void MessageSent(Starling.Mqtt.MqttQualityOfService qos) => _sent[(int)qos % 3].Increment();

    internal void BytesRead(long count) => _bytesReceived.Add(count);

    internal void BytesWritten(long count) => _bytesSent.Add(count);

    /// <summary>Records the latency of one in <see cref="LatencySampling"/> copies; <paramref name="receivedAt"/> is a <see cref="System.Diagnostics.Stopwatch"/> timestamp (0: unknown).</summary>
    internal void CopyWritten(long receivedAt, long sequence)
    {
        if (receivedAt != 0 && sequence % LatencySampling == 0 && _latency.Enabled)
        {
            _latency.Record(System.Diagnostics.Stopwatch.GetElapsedTime(receivedAt).TotalMilliseconds);
        }
    }

    internal void ProtocolError() => Interlocked.Increment(ref _protocolErrorsTotal);

    internal void OversizeDropped()
    {
        Interlocked.Increment(ref _oversizeDroppedTotal);
    }

    /// <summary>Counts a limit being hit; <paramref name="limit"/> is the option's name.</summary>
    internal void LimitHit(string limit)
    {
        // Lock-free: the in-flight limit is counted on the delivery path.
        Interlocked.Increment(ref _limitTotals.GetOrAdd(limit, static _ => new System.Runtime.CompilerServices.StrongBox<long>()).Value);
    }

    /// <summary>How often a limit was hit so far, by option name.</summary>
    public long LimitHits(string limit)
    {
        return _limitTotals.TryGetValue(limit, out var total) ? Interlocked.Read(ref total.Value) : 0;
    }

    internal void QoS0Dropped()
    {
        Interlocked.Increment(ref _qos0DroppedTotal);
    }

    internal void QueueFullDropped()
    {
        Interlocked.Increment(ref _queueFullDroppedTotal);
    }

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();

    private static IEnumerable<Measurement<long>> ByQoS(StripedCounter[] counters)
    {
        for (int qos = 0; qos < counters.Length; qos++)
        {
            yield return new Measurement<long>(counters[qos].Value, new KeyValuePair<string, object?>("qos", qos));
        }
    }

    private IEnumerable<Measurement<long>> LimitMeasurements()
    {
        foreach (var (limit, total) in _limitTotals)
        {
            yield return new Measurement<long>(Interlocked.Read(ref total.Value), new KeyValuePair<string, object?>("limit", limit));
        }
    }

    private IEnumerable<Measurement<long>> RefusedMeasurements()
    {
        foreach (var (reason, total) in _refused)
        {
            yield return new Measurement<long>(Interlocked.Read(ref total.Value), new KeyValuePair<string, object?>("reason", reason));
        }
    }

    private IEnumerable<Measurement<long>> DroppedMeasurements()
    {
        yield return new Measurement<long>(QoS0DroppedTotal, new KeyValuePair<string, object?>("reason", "send_buffer_full"));
        yield return new Measurement<long>(QueueFullDroppedTotal, new KeyValuePair<string, object?>("reason", "queue_full"));
        yield return new Measurement<long>(Interlocked.Read(ref _oversizeDroppedTotal), new KeyValuePair<string, object?>("reason", "too_large"));
    }

    private IEnumerable<Measurement<int>> SessionMeasurements()
    {
        var state = State;
        yield return new Measurement<int>(state.SessionsOnline, new KeyValuePair<string, object?>("state", "online"));
        yield return new Measurement<int>(state.SessionsOffline, new KeyValuePair<string, object?>("state", "offline"));
    }
}

using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using Starling.Broker;
using Starling.Broker.Routing;
using Starling.Broker.Storage;

namespace Starling.Cluster;

/// <summary>
/// One broker's link to the others through NATS core: each local topic filter is a NATS subscription (once per
/// filter, <see cref="ClusterSubjects.ForFilter"/>), and every message published here that some node wants (<see cref="ClusterInterest"/>) is published once to NATS on
/// its topic's subject, so NATS's interest graph sends one copy to each node that has a matching filter and none to
/// the others. The receiving node's own topic tree makes the final match. Across nodes a message is delivered at most
/// once (NATS core): the durable mode on JetStream is not built yet.
/// Shared subscriptions ($share) are NATS queue groups: each node holding members of a group subscribes the group's
/// filter in one queue group named after it, on a second connection (the first does not hear its own messages), so
/// NATS hands each message to one of those nodes, the publishing node included, and that node to one member.
/// </summary>
public sealed partial class NatsCluster : IRemoteRoutes, IAsyncDisposable
{
    internal const string OriginHeader = "Starling-Origin";

    private readonly ClusterOptions _options;
    private readonly MqttBroker _broker;
    private readonly ILogger _logger;
    private readonly NatsConnection _nats;
    private readonly NatsConnection _shared;
    private readonly ClusterInterest _interest;
    private readonly Channel<(bool Added, string? Share, string Filter)> _filterChanges = Channel.CreateUnbounded<(bool, string?, string)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<Outgoing> _outgoing = Channel.CreateUnbounded<Outgoing>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _sendGate = new();
    private readonly Dictionary<string, List<FrameSubscription>> _subscriptions = new(StringComparer.Ordinal);
    private readonly ClusterDeduplicator _deduplicator = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _active = new(StringComparer.Ordinal);
    private readonly byte[] _originUtf8;
    private ClusterSessions? _sessions;
    private ClusterMetrics? _metrics;
    private long _sequence;
    private int _backlog; // messages in _outgoing, under _sendGate
    private int _disposed;

    public NatsCluster(ClusterOptions options, MqttBroker broker, ILogger<NatsCluster> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _broker = broker;
        _logger = logger;
        Node = options.Node;
        _originUtf8 = ClusterFrame.Origin(Node);
        _nats = new NatsConnection(NatsOpts.Default with { Url = string.Join(",", options.Urls), Name = "starling-" + Node, Echo = false, SubPendingChannelCapacity = 65536 });
        _shared = new NatsConnection(NatsOpts.Default with { Url = string.Join(",", options.Urls), Name = "starling-" + Node + "-shared", SubPendingChannelCapacity = 65536 });
        _interest = new ClusterInterest(_nats, Node, logger);
    }

    /// <summary>The meter of the cluster's instruments (messages to and from other nodes, peers, sessions taken up).</summary>
    public const string MeterName = ClusterMetrics.MeterName;

    /// <summary>This node's name in the cluster.</summary>
    public string Node { get; }

    /// <summary>Messages sent to other nodes, and received from them (duplicates dropped not counted).</summary>
    public (long Sent, long Received) Totals => (Interlocked.Read(ref _sent), Interlocked.Read(ref _received));

    private long _sent;
    private long _received;

    /// <summary>
    /// Whether this node's NATS subscriptions for <paramref name="topicFilter"/> (a shared group as <c>$share/{name}/{filter}</c>)
    /// are in place (the server has them).
    /// </summary>
    public bool IsRouting(string topicFilter) => _active.ContainsKey(topicFilter);

    /// <summary>Connects to NATS (the broker does not start without it) and attaches to the broker; call before the broker starts.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _nats.ConnectAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
            await _shared.ConnectAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NatsException or TimeoutException)
        {
            throw new InvalidOperationException($"Starling:Cluster: cannot reach NATS at {string.Join(", ", _options.Urls)}: {ex.Message}", ex);
        }

        _loops.AddRange(await _interest.StartAsync(_stop.Token, cancellationToken).ConfigureAwait(false));
        var retained = new RetainedMirror(_nats, _broker, Node, _options.RetainedReplicas, _logger);
        _loops.Add(await retained.StartAsync(_stop.Token, cancellationToken).ConfigureAwait(false));
        var sessions = new ClusterSessions(_nats, _broker, Node, IsRouting, _interest.IsHeard, _logger, _stop.Token);
        _loops.AddRange(await sessions.StartAsync(_options.SessionReplicas, cancellationToken).ConfigureAwait(false));
        _sessions = sessions;
        _interest.PeerLost += node => _ = Task.Run(() => sessions.AdoptAsync(node), CancellationToken.None);
        _broker.AttachClusterSessions(sessions);
        _metrics = new ClusterMetrics(Node, () => Totals, () => Volatile.Read(ref _backlog), () => _interest.PeerCount, () => sessions.TakenUp);
        _broker.AttachCluster(this);
        _loops.Add(Task.Run(ApplyFilterChangesAsync, CancellationToken.None));
        _loops.Add(Task.Run(SendBacklogAsync, CancellationToken.None));
        Joined(_logger, Node, string.Join(", ", _options.Urls));
    }

    /// <inheritdoc />
    public void FilterAdded(string topicFilter) => _filterChanges.Writer.TryWrite((true, null, topicFilter));

    /// <inheritdoc />
    public void FilterRemoved(string topicFilter) => _filterChanges.Writer.TryWrite((false, null, topicFilter));

    /// <inheritdoc />
    public void SharedGroupAdded(string shareName, string topicFilter) => _filterChanges.Writer.TryWrite((true, shareName, topicFilter));

    /// <inheritdoc />
    public void SharedGroupRemoved(string shareName, string topicFilter) => _filterChanges.Writer.TryWrite((false, shareName, topicFilter));

    /// <inheritdoc />
    public void Forward(ApplicationMessage message)
    {
        bool wanted = _interest.IsWanted(message.TopicUtf8);
        if (!wanted && !message.Retain)
        {
            return; // no node holds a matching filter: node-local traffic costs nothing in cluster mode
        }

        // The whole message as the store encodes it (payload, QoS, retain, the 5.0 properties, the sender for No
        // Local, the expiry as a time): encoded now, since the payload may be a connection's scratch buffer.
        if (wanted)
        {
            Send(new Outgoing(ClusterSubjects.ForTopic(message.Topic), ClusterFrame.Write(_originUtf8, Interlocked.Increment(ref _sequence), message), null, null));
        }

        if (message.Retain)
        {
            // Every node stores it, subscribed to its topic or not, and the retained stream keeps it for nodes that join later.
            Send(new Outgoing(ClusterSubjects.ForRetained(message.Topic), StoredMessageCodec.Encode(message.ToStored()), new NatsHeaders { [OriginHeader] = Node }, null));
        }
    }

    /// <summary>
    /// Publishes to NATS on the caller's thread when nothing is waiting to go before it, which is the usual case (the
    /// NATS client only copies the message into its write buffer): no hand-off to a loop and back on the way out. When
    /// the client cannot take it at once (its buffer full, or NATS away), this and every later message go through
    /// <see cref="SendBacklogAsync"/> until it has caught up, so messages leave in the order they were published here.
    /// </summary>
    private void Send(Outgoing message)
    {
        lock (_sendGate)
        {
            if (_backlog > 0)
            {
                _backlog++;
                _outgoing.Writer.TryWrite(message);
                return;
            }

            ValueTask publishing;
            try
            {
                publishing = _nats.PublishAsync(message.Subject, message.Payload, message.Headers, cancellationToken: _stop.Token);
            }
            catch (Exception ex) when (ex is NatsException or InvalidOperationException or ObjectDisposedException)
            {
                SendFailed(_logger, ex, message.Subject);
                return;
            }

            if (publishing.IsCompletedSuccessfully)
            {
                Interlocked.Increment(ref _sent);
                return;
            }

            _backlog++;
            _outgoing.Writer.TryWrite(message with { Publishing = publishing.AsTask() });
        }
    }

    /// <inheritdoc />
    public ValueTask WhenRoutingAsync(IReadOnlyList<string> topicFilters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(topicFilters);
        foreach (string filter in topicFilters)
        {
            if (!IsRouting(filter))
            {
                return WaitForRoutingAsync(topicFilters, cancellationToken);
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>A new filter's NATS subscription is in place after one round trip to the server; 2 s at most, so a NATS outage does not hold SUBACKs.</summary>
    private async ValueTask WaitForRoutingAsync(IReadOnlyList<string> topicFilters, CancellationToken cancellationToken)
    {
        long until = Environment.TickCount64 + 2_000;
        while (topicFilters.Any(f => !IsRouting(f)) && Environment.TickCount64 < until)
        {
            await Task.Delay(1, cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return; // the hosted service leaves at stop, and the container disposes at the end
        }

        if (_sessions is { } sessions)
        {
            // The broker has stopped: its clients were closed without wills, which the states must say before this
            // node's heartbeats stop, or the node that takes its sessions up would publish them.
            try
            {
                await sessions.FlushAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TimeoutException or NatsException)
            {
            }
        }

        _filterChanges.Writer.TryComplete();
        _outgoing.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            Task[] loops;
            lock (_loops)
            {
                loops = [.. _loops];
            }

            await Task.WhenAll(loops).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException or NatsException)
        {
        }

        await _nats.DisposeAsync().ConfigureAwait(false);
        await _shared.DisposeAsync().ConfigureAwait(false);
        await _interest.DisposeAsync().ConfigureAwait(false);
        _sessions?.Dispose();
        _metrics?.Dispose();
        _stop.Dispose();
    }

    /// <summary>The messages <see cref="Send"/> could not hand NATS at once, one at a time in order, until none is left.</summary>
    private async Task SendBacklogAsync()
    {
        await foreach (var message in _outgoing.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                await (message.Publishing ?? _nats.PublishAsync(message.Subject, message.Payload, message.Headers, cancellationToken: _stop.Token).AsTask()).ConfigureAwait(false);
                Interlocked.Increment(ref _sent);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception ex) when (ex is NatsException or InvalidOperationException)
            {
                SendFailed(_logger, ex, message.Subject);
            }

            lock (_sendGate)
            {
                _backlog--;
            }
        }
    }

    private async Task ApplyFilterChangesAsync()
    {
        await foreach (var (added, share, filter) in _filterChanges.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            string key = share is null ? filter : "$share/" + share + "/" + filter;
            try
            {
                if (added && !_subscriptions.ContainsKey(key))
                {
                    // A group's queue name holds its share name and filter, so that the same group on every node is one NATS queue group.
                    var connection = share is null ? _nats : _shared;
                    string? queue = share is null ? null : ClusterSubjects.QueueGroup(share, filter);
                    Action<string, ReadOnlyMemory<byte>> handler = share is null ? Deliver : (subject, frame) => DeliverShared(subject, frame, share, filter);
                    var subscriptions = new List<FrameSubscription>();
                    foreach (string subject in ClusterSubjects.ForFilter(filter))
                    {
                        subscriptions.Add(await FrameSubscription.SubscribeAsync(connection, subject, queue, handler, _stop.Token).ConfigureAwait(false));
                    }

                    _subscriptions[key] = subscriptions;
                    await connection.PingAsync(_stop.Token).ConfigureAwait(false); // the server has taken the SUBs once it answers
                    await _interest.AnnounceAddedAsync(key, share, filter, _stop.Token).ConfigureAwait(false); // and the other nodes send them
                    _active[key] = true;
                }
                else if (!added && _subscriptions.Remove(key, out var subscriptions))
                {
                    _active.TryRemove(key, out _);
                    foreach (var subscription in subscriptions)
                    {
                        await subscription.DisposeAsync().ConfigureAwait(false);
                    }

                    await _interest.AnnounceRemovedAsync(key, share, filter, _stop.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception ex) when (ex is NatsException or InvalidOperationException)
            {
                SubscribeFailed(_logger, ex, key);
            }
        }
    }

    /// <summary>A message another node published, on the NATS reader's thread (<see cref="FrameSubscription"/>).</summary>
    private void Deliver(string subject, ReadOnlyMemory<byte> frame)
    {
        if (!ClusterFrame.TryRead(frame, out var origin, out long number, out var encoded) || origin.Span.SequenceEqual(_originUtf8))
        {
            return; // not a Starling node's, or this node's own
        }

        if (!_deduplicator.IsNew(origin.Span, number))
        {
            return;
        }

        if (Read(subject, encoded) is { } live)
        {
            Interlocked.Increment(ref _received);
            _broker.PublishFromCluster(live);
        }
    }

    /// <summary>A message NATS gave this node's queue subscription of one shared group: from any node, this one included.</summary>
    private void DeliverShared(string subject, ReadOnlyMemory<byte> frame, string share, string filter)
    {
        if (ClusterFrame.TryRead(frame, out _, out _, out var encoded) && Read(subject, encoded) is { } live)
        {
            _broker.PublishToSharedGroupFromCluster(live, share, filter);
        }
    }

    /// <summary>The message a node sent on a topic subject; null when the subject is not one or does not name the encoded message's topic.</summary>
    private static ApplicationMessage? Read(string subject, ReadOnlyMemory<byte> encoded)
    {
        string topic;
        try
        {
            topic = ClusterSubjects.TopicOf(subject);
        }
        catch (FormatException)
        {
            return null;
        }

        return Decode(encoded) is { } live && live.Topic == topic ? live : null;
    }

    /// <summary>The message another node encoded, with its expiry counted down to now; null when expired or not one.</summary>
    internal static ApplicationMessage? Decode(byte[]? data) => data is null ? null : Decode(data.AsMemory());

    private static ApplicationMessage? Decode(ReadOnlyMemory<byte> data)
    {
        try
        {
            return StoredMessageCodec.Decode(data).ToLive();
        }
        catch (Exception ex) when (ex is FormatException or InvalidDataException or ArgumentException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>A message for NATS; <paramref name="Publishing"/> is its publish when the client took it but had not finished.</summary>
    private readonly record struct Outgoing(string Subject, byte[] Payload, NatsHeaders? Headers, Task? Publishing);

    [LoggerMessage(300, LogLevel.Information, "Cluster node '{Node}' joined through NATS at {Urls}.")]
    private static partial void Joined(ILogger logger, string node, string urls);

    [LoggerMessage(301, LogLevel.Warning, "Cluster: a message on '{Subject}' could not be sent to NATS.")]
    private static partial void SendFailed(ILogger logger, Exception exception, string subject);

    [LoggerMessage(302, LogLevel.Warning, "Cluster: the filter '{Filter}' could not be subscribed in NATS.")]
    private static partial void SubscribeFailed(ILogger logger, Exception exception, string filter);
}

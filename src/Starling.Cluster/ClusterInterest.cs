using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using Starling.Broker.Routing;

namespace Starling.Cluster;

/// <summary>
/// Which topic filters the other nodes hold, so that a node sends a message to NATS only when some node wants it:
/// node-local traffic then costs nothing in cluster mode (publishing every message to NATS made it ten times slower).
/// The nodes tell each other on <c>starling.i.&gt;</c>, read in one loop so that each peer's messages apply in order:
/// <list type="bullet">
/// <item><c>ann</c>: a filter added or removed; an addition is acknowledged (<c>ack.{node}</c>) by every live peer, and
/// <see cref="AnnounceAddedAsync"/> waits for them, so a SUBACK means every node forwards the filter's messages [MQTT-3.8.4-1];</item>
/// <item><c>sync</c> (every node) or <c>sync.{node}</c>: asks for the whole set, answered on <c>state.{node}</c>;</item>
/// <item><c>hb</c>: a heartbeat each second. A peer silent for <see cref="PeerTimeout"/> is taken for gone and its
/// filters dropped; a node heard for the first time is asked for its set.</item>
/// </list>
/// This node's own shared groups are in the tree too: their messages reach members here through NATS queue groups.
/// </summary>
internal sealed partial class ClusterInterest : IAsyncDisposable
{
    public static readonly TimeSpan PeerTimeout = TimeSpan.FromSeconds(10);
    private const string Prefix = "starling.i";
    private const string OriginHeader = "Starling-Origin";
    private const string IdHeader = "Starling-Id";
    private const char Separator = '\0'; // never in a topic filter [MQTT-1.5.4-2]

    private readonly NatsConnection _nats;
    private readonly string _node;
    private readonly string _token;
    private readonly ILogger _logger;
    private readonly TopicTree<Interest> _tree = new();
    private readonly Lock _lock = new();
    private readonly Dictionary<string, HashSet<string>> _byNode = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _lastHeard = new(StringComparer.Ordinal);

    // Since when this node's own NATS connection is up (long.MaxValue while it is down): a peer's silence means
    // something only when this node could have heard it for the whole PeerTimeout. A node cut off from NATS takes
    // nobody for dead, and one that has just come back waits a full PeerTimeout of hearing before it does.
    private long _connectedAt = Environment.TickCount64;
    private readonly HashSet<string> _own = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _publishGate = new(1, 1);
    private readonly ConcurrentDictionary<long, PendingAck> _pending = new();

    // Peers that let an announcement time out: not waited for again until they are heard from again, so a dead
    // peer (until PeerTimeout drops it) costs one 2 s wait, not one per new filter.
    private readonly ConcurrentDictionary<string, bool> _unresponsive = new(StringComparer.Ordinal);
    private long _ids;

    [ThreadStatic]
    private static List<Interest>? t_matches;

    /// <summary>A peer's heartbeats stopped for <see cref="PeerTimeout"/>: it is taken for dead.</summary>
    public event Action<string>? PeerLost;

    public ClusterInterest(NatsConnection nats, string node, ILogger logger)
    {
        _nats = nats;
        _node = node;
        _token = Token(node);
        _logger = logger;
        nats.ConnectionDisconnected += (_, _) =>
        {
            Interlocked.Exchange(ref _connectedAt, long.MaxValue);
            return ValueTask.CompletedTask;
        };
        nats.ConnectionOpened += (_, _) =>
        {
            Interlocked.Exchange(ref _connectedAt, Environment.TickCount64);
            // After a reconnect (a NATS restart) the peers' sets may have changed unseen: ask again.
            _ = PublishAsync(Prefix + ".sync", null, CancellationToken.None);
            return ValueTask.CompletedTask;
        };
    }

    /// <summary>How many other nodes were heard from within <see cref="PeerTimeout"/>.</summary>
    public int PeerCount => _lastHeard.Count;

    /// <summary>Whether <paramref name="node"/> was heard from within <see cref="PeerTimeout"/> (not taken for gone).</summary>
    public bool IsHeard(string node) => _lastHeard.ContainsKey(node);

    /// <summary>Whether some node (another's filter, or a shared group of this one) wants <paramref name="topicUtf8"/>.</summary>
    public bool IsWanted(ReadOnlySpan<byte> topicUtf8)
    {
        var matches = t_matches ??= [];
        matches.Clear();
        _tree.Match(topicUtf8, matches);
        bool wanted = matches.Count > 0;
        matches.Clear();
        return wanted;
    }

    /// <summary>Subscribes, asks every node for its set and gathers the answers for a moment; returns the loops that run on.</summary>
    public async Task<Task[]> StartAsync(CancellationToken stopping, CancellationToken cancellationToken)
    {
        var subscription = await _nats.SubscribeCoreAsync<byte[]>(Prefix + ".>", cancellationToken: cancellationToken).ConfigureAwait(false);
        var reading = Task.Run(() => ReadAsync(subscription, stopping), CancellationToken.None);
        await _nats.PingAsync(cancellationToken).ConfigureAwait(false);
        await PublishAsync(Prefix + ".sync", null, cancellationToken).ConfigureAwait(false);
        // The answers of the live nodes come within a round trip; a moment more for a loaded machine.
        await Task.Delay(250, cancellationToken).ConfigureAwait(false);
        var heartbeat = Task.Run(() => HeartbeatAsync(stopping), CancellationToken.None);
        return [reading, heartbeat];
    }

    /// <summary>
    /// This node holds <paramref name="key"/> now (a filter, or a shared group as <c>$share/{name}/{filter}</c>): tells
    /// the peers and waits (2 s at most) until each live one has it.
    /// </summary>
    public async Task AnnounceAddedAsync(string key, string? shareName, string topicFilter, CancellationToken cancellationToken)
    {
        if (shareName is not null)
        {
            lock (_lock)
            {
                _tree.AddOrReplace(topicFilter, new Interest(_node + "\n" + key), out _);
            }
        }

        long id = Interlocked.Increment(ref _ids);
        var pending = new PendingAck([.. _lastHeard.Keys.Where(p => !_unresponsive.ContainsKey(p))]);
        _pending[id] = pending;
        try
        {
            await PublishGatedAsync(Prefix + ".ann", () => Encoding.UTF8.GetBytes("+" + OwnChanged(key, added: true)), id, cancellationToken).ConfigureAwait(false);
            await pending.Done.Task.WaitAsync(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            var missing = pending.Missing.ToList();
            foreach (string peer in missing)
            {
                _unresponsive[peer] = true;
            }

            AckTimeout(_logger, key, string.Join(", ", missing));
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    /// <summary>This node no longer holds <paramref name="key"/>: tells the peers (no wait; a late removal costs a message they drop).</summary>
    public async Task AnnounceRemovedAsync(string key, string? shareName, string topicFilter, CancellationToken cancellationToken)
    {
        if (shareName is not null)
        {
            lock (_lock)
            {
                _tree.Remove(topicFilter, _node + "\n" + key, null, out _);
            }
        }

        await PublishGatedAsync(Prefix + ".ann", () => Encoding.UTF8.GetBytes("-" + OwnChanged(key, added: false)), 0, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Adds or removes one of this node's keys; called under the publish gate, with the announcement it goes with.</summary>
    private string OwnChanged(string key, bool added)
    {
        lock (_lock)
        {
            _ = added ? _own.Add(key) : _own.Remove(key);
        }

        return key;
    }

    public ValueTask DisposeAsync()
    {
        _publishGate.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task ReadAsync(INatsSub<byte[]> subscription, CancellationToken stopping)
    {
        try
        {
            await foreach (var message in subscription.Msgs.ReadAllAsync(stopping).ConfigureAwait(false))
            {
                try
                {
                    await HandleAsync(message, stopping).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is NatsException or InvalidOperationException or FormatException)
                {
                    HandleFailed(_logger, ex, message.Subject);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            await subscription.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task HandleAsync(NatsMsg<byte[]> message, CancellationToken stopping)
    {
        if (message.Headers is null || !message.Headers.TryGetValue(OriginHeader, out var originValue))
        {
            return;
        }

        string origin = originValue.ToString();
        if (origin == _node)
        {
            return;
        }

        bool known = _lastHeard.ContainsKey(origin);
        _lastHeard[origin] = Environment.TickCount64;
        _unresponsive.TryRemove(origin, out _);
        string what = message.Subject[(Prefix.Length + 1)..];
        if (!known && what != "state." + _token && what != "sync" && what != "sync." + _token)
        {
            // A node heard for the first time, or again after it was taken for gone: its whole set. (One that asks
            // for ours has just started and announces what it holds.)
            await PublishAsync(Prefix + ".sync." + Token(origin), null, stopping).ConfigureAwait(false);
        }

        switch (what)
        {
            case "ann":
                string text = Encoding.UTF8.GetString(message.Data ?? []);
                if (text.Length > 1)
                {
                    Apply(origin, text[1..], text[0] == '+');
                }

                if (text.StartsWith('+') && Id(message) is long id and > 0)
                {
                    await _nats.PublishAsync(Prefix + ".ack." + Token(origin), Array.Empty<byte>(), Headers(id), cancellationToken: stopping).ConfigureAwait(false);
                }

                break;
            case "hb":
                break;
            case "sync":
                await ReplyStateAsync(origin, stopping).ConfigureAwait(false);
                break;
            default:
                if (what == "sync." + _token)
                {
                    await ReplyStateAsync(origin, stopping).ConfigureAwait(false);
                }
                else if (what == "state." + _token)
                {
                    Replace(origin, Encoding.UTF8.GetString(message.Data ?? []).Split(Separator, StringSplitOptions.RemoveEmptyEntries));
                }
                else if (what == "ack." + _token && Id(message) is long acked && _pending.TryGetValue(acked, out var pending))
                {
                    pending.Acked(origin);
                }

                break;
        }
    }

    private Task ReplyStateAsync(string origin, CancellationToken stopping)
    {
        // Under the gate: an announcement of this node is either in the set or published after it, never lost between.
        return PublishAsync(Prefix + ".state." + Token(origin), () =>
        {
            lock (_lock)
            {
                return Encoding.UTF8.GetBytes(string.Join(Separator, _own));
            }
        }, stopping);
    }

    /// <summary>Best effort (a sync request, a state, a heartbeat): a failure is not reported, the next round repairs it.</summary>
    private async Task PublishAsync(string subject, Func<byte[]>? body, CancellationToken cancellationToken)
    {
        try
        {
            await PublishGatedAsync(subject, body ?? (static () => []), 0, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NatsException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// Every publish of this node's interest goes through one gate, with <paramref name="body"/> built inside it: a change
    /// of this node's set and its announcement, or a state reply, are never interleaved, so a peer applying them in
    /// order ends with the right set.
    /// </summary>
    private async Task PublishGatedAsync(string subject, Func<byte[]> body, long id, CancellationToken cancellationToken)
    {
        await _publishGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _nats.PublishAsync(subject, body(), Headers(id), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _publishGate.Release();
        }
    }

    private async Task HeartbeatAsync(CancellationToken stopping)
    {
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                await PublishAsync(Prefix + ".hb", null, stopping).ConfigureAwait(false);
                long now = Environment.TickCount64;
                bool silenceMeansGone = now - Interlocked.Read(ref _connectedAt) >= (long)PeerTimeout.TotalMilliseconds;
                foreach (var (peer, heard) in _lastHeard)
                {
                    if (silenceMeansGone && now - heard > (long)PeerTimeout.TotalMilliseconds && _lastHeard.TryRemove(peer, out _))
                    {
                        int dropped = Replace(peer, []);
                        PeerGone(_logger, peer, dropped);
                        PeerLost?.Invoke(peer);
                    }
                }

                await Task.Delay(1000, stopping).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Apply(string node, string key, bool added)
    {
        lock (_lock)
        {
            ApplyLocked(node, key, added);
        }
    }

    private void ApplyLocked(string node, string key, bool added)
    {
        if (!_byNode.TryGetValue(node, out var keys))
        {
            _byNode[node] = keys = new HashSet<string>(StringComparer.Ordinal);
        }

        if (added ? keys.Add(key) : keys.Remove(key))
        {
            string filter = TreeFilter(key);
            if (added)
            {
                _tree.AddOrReplace(filter, new Interest(node + "\n" + key), out _);
            }
            else
            {
                _tree.Remove(filter, node + "\n" + key, null, out _);
            }
        }
    }

    /// <summary>Makes <paramref name="node"/>'s set exactly <paramref name="keys"/>; returns how many it dropped.</summary>
    private int Replace(string node, IReadOnlyCollection<string> keys)
    {
        lock (_lock)
        {
            var wanted = new HashSet<string>(keys, StringComparer.Ordinal);
            var held = _byNode.GetValueOrDefault(node) ?? [];
            var gone = held.Where(k => !wanted.Contains(k)).ToList();
            foreach (string key in gone)
            {
                ApplyLocked(node, key, added: false);
            }

            foreach (string key in wanted)
            {
                ApplyLocked(node, key, added: true);
            }

            return gone.Count;
        }
    }

    /// <summary>The filter a key is matched by: a shared group's own filter, past <c>$share/{name}/</c>.</summary>
    private static string TreeFilter(string key)
    {
        if (!key.StartsWith("$share/", StringComparison.Ordinal))
        {
            return key;
        }

        int slash = key.IndexOf('/', "$share/".Length);
        return slash < 0 ? key : key[(slash + 1)..];
    }

    private NatsHeaders Headers(long id)
    {
        var headers = new NatsHeaders { [OriginHeader] = _node };
        if (id > 0)
        {
            headers[IdHeader] = id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return headers;
    }

    private static long? Id(NatsMsg<byte[]> message) =>
        message.Headers is { } headers && headers.TryGetValue(IdHeader, out var value)
        && long.TryParse(value.ToString(), System.Globalization.CultureInfo.InvariantCulture, out long id) ? id : null;

    /// <summary>A node name as one NATS token (base64url of its UTF-8).</summary>
    private static string Token(string node) =>
        ClusterSubjects.Base64Url(node);

    [LoggerMessage(330, LogLevel.Warning, "Cluster: no acknowledgement within 2 s for the filter '{Key}' from {Peers}; going on without them.")]
    private static partial void AckTimeout(ILogger logger, string key, string peers);

    [LoggerMessage(331, LogLevel.Warning, "Cluster: node '{Node}' silent for 10 s, taken for gone; its {Count} filters dropped.")]
    private static partial void PeerGone(ILogger logger, string node, int count);

    [LoggerMessage(332, LogLevel.Warning, "Cluster: a message on '{Subject}' between nodes could not be handled.")]
    private static partial void HandleFailed(ILogger logger, Exception exception, string subject);

    /// <summary>One node's key in the interest tree.</summary>
    private sealed record Interest(string ClientId) : ITopicSubscription
    {
        public string? ShareGroup => null;

        public bool IsOnline => true;
    }

    /// <summary>The peers an announcement waits for, and which have answered.</summary>
    private sealed class PendingAck
    {
        private readonly HashSet<string> _expected;

        public PendingAck(HashSet<string> expected)
        {
            _expected = expected;
            if (expected.Count == 0)
            {
                Done.TrySetResult(); // no live peer to wait for
            }
        }

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IEnumerable<string> Missing
        {
            get
            {
                lock (_expected)
                {
                    return [.. _expected];
                }
            }
        }

        public void Acked(string node)
        {
            lock (_expected)
            {
                if (_expected.Remove(node) && _expected.Count == 0)
                {
                    Done.TrySetResult();
                }
            }
        }
    }
}

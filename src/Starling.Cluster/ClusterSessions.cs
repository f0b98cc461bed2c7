using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;
using Starling.Broker;
using Starling.Broker.Sessions;
using Starling.Broker.Storage;

namespace Starling.Cluster;

/// <summary>
/// Which node owns each client's session, in a JetStream key-value bucket (<see cref="Bucket"/>): key the client id,
/// value the owner and an epoch. A connecting client's node claims the session with compare-and-set on the entry's
/// revision, so two nodes racing for one client cannot both win; when another node owned it, that node is asked (a
/// NATS request to <c>starling.session.handover.&lt;node&gt;</c>) to close the client's connection there as taken
/// over and hand its session over, which is imported here before the CONNACK.
/// Each owner also keeps its sessions' states in a second bucket (<see cref="SessionStateMirror"/>). When an owner is
/// gone (it does not answer a hand-over, or its heartbeats stopped: <see cref="AdoptAsync"/>), the node that wins the
/// compare-and-set on the owner record takes the session up from that state, subscriptions and expiry, and publishes
/// the will its client's lost connection left; one node wins, so a will is published once. The queued and in-flight
/// messages die with the owner: keeping them needs the durable mode, which is not built.
/// </summary>
internal sealed partial class ClusterSessions : IRemoteSessions, IDisposable
{
    public const string Bucket = "starling-sessions";
    private const int Attempts = 5;
    private static readonly TimeSpan HandOverTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RoutingWait = TimeSpan.FromSeconds(2);

    private readonly NatsConnection _nats;
    private readonly MqttBroker _broker;
    private readonly string _node;
    private readonly Func<string, bool> _isRouting;
    private readonly ILogger _logger;
    private readonly SessionStateMirror _mirror;
    private readonly CancellationToken _stopping;
    private INatsKVStore? _owners;

    private readonly Func<string, bool> _isHeard;
    private long _takenUp;
    private long _willsPublished;

    public ClusterSessions(NatsConnection nats, MqttBroker broker, string node, Func<string, bool> isRouting, Func<string, bool> isHeard, ILogger logger, CancellationToken stopping)
    {
        _nats = nats;
        _broker = broker;
        _node = node;
        _isRouting = isRouting;
        _isHeard = isHeard;
        _logger = logger;
        _stopping = stopping;
        _mirror = new SessionStateMirror(broker, node, OwnedHereAsync, logger);
        nats.ConnectionOpened += (_, _) =>
        {
            // Back after an outage or a partition: sessions the others took up meanwhile are no longer this node's.
            _ = Task.Run(() => EndTakenElsewhereAsync([.. _broker.SessionSnapshots().Select(s => s.ClientId)]), CancellationToken.None);
            return ValueTask.CompletedTask;
        };
    }

    public static string HandOverSubject(string node) => "starling.session.handover." + ClusterSubjects.Token(node);

    /// <summary>Opens the buckets and answers hand-over requests for this node; returns the loops that answer them and write the states.</summary>
    public async Task<Task[]> StartAsync(int replicas, CancellationToken cancellationToken)
    {
        var kv = new NatsKVContext(new NatsJSContext(_nats));
        _owners = await kv.CreateOrUpdateStoreAsync(new NatsKVConfig(Bucket) { History = 1, Storage = NatsKVStorageType.File, NumberOfReplicas = replicas }, cancellationToken).ConfigureAwait(false);
        var writing = await _mirror.StartAsync(kv, replicas, _stopping, cancellationToken).ConfigureAwait(false);
        var requests = await _nats.SubscribeCoreAsync<byte[]>(HandOverSubject(_node), cancellationToken: cancellationToken).ConfigureAwait(false);
        return [Task.Run(() => AnswerAsync(requests, _stopping), CancellationToken.None), writing];
    }

    /// <inheritdoc />
    public void SessionChanged(string clientId) => _mirror.Changed(clientId);

    /// <inheritdoc />
    public void Restored(IReadOnlyList<string> clientIds) =>
        _ = Task.Run(() => EndTakenElsewhereAsync(clientIds), CancellationToken.None);

    public void Dispose() => _mirror.Dispose();

    /// <summary>Sessions taken up from lost nodes, and the wills published for their clients.</summary>
    public (long Sessions, long Wills) TakenUp => (Interlocked.Read(ref _takenUp), Interlocked.Read(ref _willsPublished));

    /// <summary>Writes the sessions' last changes to the states bucket (at a graceful stop).</summary>
    public Task FlushAsync(CancellationToken cancellationToken) => _mirror.FlushAsync(cancellationToken);

    /// <inheritdoc />
    public async ValueTask ClaimAsync(string clientId, bool cleanStart, CancellationToken cancellationToken)
    {
        var owners = _owners ?? throw new InvalidOperationException("The cluster's sessions are not started.");
        string key = Key(clientId);
        try
        {
            for (int attempt = 0; attempt < Attempts; attempt++)
            {
                var current = await owners.TryGetEntryAsync<byte[]>(key, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (!current.Success || current.Value.Value is not { Length: > 0 } value)
                {
                    if ((await owners.TryCreateAsync(key, HandOverCodec.EncodeOwner(_node, 1), cancellationToken: cancellationToken).ConfigureAwait(false)).Success)
                    {
                        return;
                    }

                    continue; // another node created it first: ask that one
                }

                var owner = HandOverCodec.DecodeOwner(value);
                bool ownerGone = false;
                if (owner.Node != _node)
                {
                    if (attempt == 0)
                    {
                        // A copy held here before this claim is stale (kept from before another node took the session
                        // up): the owner's is the one. (On a later attempt it is the one imported by the attempt before.)
                        _broker.DiscardSession(clientId);
                    }

                    ownerGone = !await TakeFromAsync(owner.Node, clientId, export: !cleanStart, cancellationToken).ConfigureAwait(false);
                }

                var claimed = await owners.TryUpdateAsync(key, HandOverCodec.EncodeOwner(_node, owner.Epoch + 1), current.Value.Revision, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (claimed.Success)
                {
                    if (ownerGone)
                    {
                        await TakeUpKeptAsync(key, owner.Node, cancellationToken).ConfigureAwait(false); // only the winner of the claim does
                    }

                    return;
                }
            }

            ClaimContended(_logger, clientId, Attempts);
        }
        catch (Exception ex) when (ex is NatsException or FormatException or System.Text.Json.JsonException)
        {
            // NATS is unreachable or the record is not ours: the client is served here with what this node holds.
            ClaimFailed(_logger, ex, clientId);
        }
    }

    /// <summary>
    /// Asks <paramref name="node"/> for the session, imports it, and waits until NATS routes its filters here; false
    /// when <paramref name="node"/> did not answer (gone).
    /// </summary>
    private async Task<bool> TakeFromAsync(string node, string clientId, bool export, CancellationToken cancellationToken)
    {
        NatsMsg<byte[]> reply;
        try
        {
            reply = await _nats.RequestAsync<byte[], byte[]>(
                HandOverSubject(node),
                HandOverCodec.EncodeRequest(clientId, export),
                replyOpts: new NatsSubOpts { Timeout = HandOverTimeout },
                cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NatsNoRespondersException or NatsNoReplyException or TimeoutException)
        {
            OwnerGone(_logger, node, clientId);
            return false;
        }

        if (reply.Data is not { Length: > 0 } data)
        {
            return true; // it held no session to resume (ended, expired, or asked for none)
        }

        var session = HandOverCodec.DecodeSession(data);
        _broker.ImportSession(session);
        TookOver(_logger, clientId, node, session.Inflight.Count + session.Pending.Count);
        await WhenRoutingAsync(session, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Messages published elsewhere reach this node's subscribers once NATS has its subscriptions for them.</summary>
    private async Task WhenRoutingAsync(StoredSession session, CancellationToken cancellationToken)
    {
        var until = DateTime.UtcNow + RoutingWait;
        foreach (var subscription in session.Subscriptions)
        {
            string filter = SharedFilter(subscription.Filter);
            while (!_isRouting(filter) && DateTime.UtcNow < until)
            {
                await Task.Delay(5, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// <paramref name="lostNode"/>'s heartbeats stopped: takes up each session it owned, racing the other survivors
    /// (compare-and-set on the owner record), so each is taken up, and each will published, by one node.
    /// </summary>
    public async Task AdoptAsync(string lostNode)
    {
        var owners = _owners;
        if (owners is null)
        {
            return;
        }

        int adopted = 0;
        try
        {
            await foreach (string key in _mirror.States.GetKeysAsync(cancellationToken: _stopping).ConfigureAwait(false))
            {
                if (_isHeard(lostNode))
                {
                    break; // it is back (it was cut off, not dead): what it owns stays its own
                }

                var kept = await ReadKeptAsync(key, _stopping).ConfigureAwait(false);
                if (kept is not { } found || found.Node != lostNode)
                {
                    continue;
                }

                var owner = await owners.TryGetEntryAsync<byte[]>(key, cancellationToken: _stopping).ConfigureAwait(false);
                bool claimed;
                if (owner.Success && owner.Value.Value is { Length: > 0 } value)
                {
                    var record = HandOverCodec.DecodeOwner(value);
                    claimed = record.Node == lostNode
                        && (await owners.TryUpdateAsync(key, HandOverCodec.EncodeOwner(_node, record.Epoch + 1), owner.Value.Revision, cancellationToken: _stopping).ConfigureAwait(false)).Success;
                }
                else
                {
                    claimed = (await owners.TryCreateAsync(key, HandOverCodec.EncodeOwner(_node, 1), cancellationToken: _stopping).ConfigureAwait(false)).Success;
                }

                if (claimed)
                {
                    await TakeUpAsync(key, found.State, lostNode, _stopping).ConfigureAwait(false);
                    adopted++;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return;
        }
        catch (Exception ex) when (ex is NatsException or FormatException or System.Text.Json.JsonException or InvalidDataException)
        {
            AdoptFailed(_logger, ex, lostNode);
        }

        NodeLost(_logger, lostNode, adopted);
    }

    /// <summary>After this node won the claim of a session whose owner is gone: takes it up from the state the owner kept.</summary>
    private async Task TakeUpKeptAsync(string key, string lostNode, CancellationToken cancellationToken)
    {
        try
        {
            if (await ReadKeptAsync(key, cancellationToken).ConfigureAwait(false) is { } kept && kept.Node == lostNode)
            {
                if (await TakeUpAsync(key, kept.State, lostNode, cancellationToken).ConfigureAwait(false))
                {
                    await WhenRoutingAsync(kept.State.Session, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is NatsException or FormatException or System.Text.Json.JsonException or InvalidDataException)
        {
            AdoptFailed(_logger, ex, lostNode);
        }
    }

    private async Task<(string Node, ClusterSessionState State)?> ReadKeptAsync(string key, CancellationToken cancellationToken)
    {
        var entry = await _mirror.States.TryGetEntryAsync<byte[]>(key, cancellationToken: cancellationToken).ConfigureAwait(false);
        return entry.Success && entry.Value.Value is { Length: > 0 } data ? HandOverCodec.DecodeState(data) : null;
    }

    /// <summary>
    /// Takes up a lost node's session as its client's connection was lost with it: a connected client's session
    /// expiry and will delay count from now; a will without delay is published now, a delayed one waits in the session
    /// (and goes when the session ends first [MQTT-3.1.3-9]). A session that ends with its connection is not kept.
    /// </summary>
    /// <returns>Whether the session is kept here (false when it ended with its lost connection).</returns>
    private async Task<bool> TakeUpAsync(string key, ClusterSessionState state, string lostNode, CancellationToken cancellationToken)
    {
        var session = state.Session;
        var now = DateTimeOffset.UtcNow;
        if (state.Connected)
        {
            session = session with { ExpiresAtUtc = session.ExpiryInterval == uint.MaxValue ? null : now.AddSeconds(session.ExpiryInterval) };
            if (state.ConnectionWill is { } will)
            {
                if (state.WillDelaySeconds == 0 || session.ExpiryInterval == 0)
                {
                    if (will.ToLive() is { } message)
                    {
                        _broker.PublishWillOfLostClient(message);
                        Interlocked.Increment(ref _willsPublished);
                    }
                }
                else
                {
                    session = session with { Will = will, WillAtUtc = now.AddSeconds(Math.Min(state.WillDelaySeconds, session.ExpiryInterval)) };
                }
            }
        }

        TookUpLost(_logger, session.ClientId, lostNode);
        Interlocked.Increment(ref _takenUp);
        if (session.ExpiryInterval > 0 || session.Will is not null)
        {
            _broker.ImportSession(session);
            _mirror.Changed(session.ClientId); // kept as this node's from now on
            return true;
        }

        await _mirror.States.DeleteAsync(key, cancellationToken: cancellationToken).ConfigureAwait(false);
        return false;
    }

    /// <summary>Whether the owner record of <paramref name="clientId"/> names this node (or there is none).</summary>
    private async Task<bool> OwnedHereAsync(string clientId, CancellationToken cancellationToken)
    {
        if (_owners is not { } owners)
        {
            return true;
        }

        var owner = await owners.TryGetEntryAsync<byte[]>(Key(clientId), cancellationToken: cancellationToken).ConfigureAwait(false);
        return !owner.Success || owner.Value.Value is not { Length: > 0 } value || HandOverCodec.DecodeOwner(value).Node == _node;
    }

    /// <summary>
    /// Ends this node's copy of each of <paramref name="clientIds"/>' sessions whose owner record names another node:
    /// sessions taken up elsewhere while this node was cut off (after a reconnect) or down (restored copies at
    /// start). A client connected here is closed as taken over, without its will, which the new owner published.
    /// </summary>
    private async Task EndTakenElsewhereAsync(IReadOnlyList<string> clientIds)
    {
        try
        {
            foreach (string clientId in clientIds)
            {
                if (!await OwnedHereAsync(clientId, _stopping).ConfigureAwait(false) && _broker.FenceSession(clientId))
                {
                    Fenced(_logger, clientId);
                }
            }
        }
        catch (Exception ex) when (ex is NatsException or FormatException or System.Text.Json.JsonException or OperationCanceledException)
        {
        }
    }

    private async Task AnswerAsync(INatsSub<byte[]> requests, CancellationToken stopping)
    {
        try
        {
            await foreach (var request in requests.Msgs.ReadAllAsync(stopping).ConfigureAwait(false))
            {
                byte[] answer = [];
                try
                {
                    var asked = HandOverCodec.DecodeRequest(request.Data ?? []);
                    if (_broker.HandOverSession(asked.ClientId, asked.Export) is { } session)
                    {
                        answer = HandOverCodec.EncodeSession(session);
                        HandedOver(_logger, asked.ClientId, session.Inflight.Count + session.Pending.Count);
                    }
                }
                catch (Exception ex) when (ex is FormatException or System.Text.Json.JsonException)
                {
                    // not a request of ours: answered empty
                }

                await request.ReplyAsync(answer, cancellationToken: stopping).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>A bucket key for a client id: base64url of its UTF-8 (a key allows letters, digits and -/_=. only).</summary>
    internal static string Key(string clientId) =>
        "c." + ClusterSubjects.Base64Url(clientId);

    /// <summary>The filter the router reports for a subscription: a shared one's inner filter.</summary>
    private static string SharedFilter(string filter)
    {
        if (!filter.StartsWith("$share/", StringComparison.Ordinal))
        {
            return filter;
        }

        int slash = filter.IndexOf('/', 7);
        return slash < 0 ? filter : filter[(slash + 1)..];
    }

    [LoggerMessage(325, LogLevel.Warning, "Cluster: node '{Node}' is gone; this node took up {Sessions} of its sessions.")]
    private static partial void NodeLost(ILogger logger, string node, int sessions);

    [LoggerMessage(326, LogLevel.Information, "Cluster: the session of '{ClientId}' was taken up from the state kept by node '{Node}', which is gone.")]
    private static partial void TookUpLost(ILogger logger, string clientId, string node);

    [LoggerMessage(327, LogLevel.Warning, "Cluster: the sessions of node '{Node}', which is gone, could not all be taken up.")]
    private static partial void AdoptFailed(ILogger logger, Exception exception, string node);

    [LoggerMessage(329, LogLevel.Warning, "Cluster: the session of '{ClientId}' was taken up by another node while this one was cut off or down; its copy here was ended.")]
    private static partial void Fenced(ILogger logger, string clientId);

    [LoggerMessage(320, LogLevel.Information, "Cluster: the session of '{ClientId}' came from node '{Node}' with {Messages} messages.")]
    private static partial void TookOver(ILogger logger, string clientId, string node, int messages);

    [LoggerMessage(321, LogLevel.Information, "Cluster: the session of '{ClientId}' was handed over to another node with {Messages} messages.")]
    private static partial void HandedOver(ILogger logger, string clientId, int messages);

    [LoggerMessage(322, LogLevel.Warning, "Cluster: node '{Node}', the owner of the session of '{ClientId}', did not answer; the session is taken up from the state it kept, without its messages.")]
    private static partial void OwnerGone(ILogger logger, string node, string clientId);

    [LoggerMessage(323, LogLevel.Warning, "Cluster: the session of '{ClientId}' was claimed by other nodes {Attempts} times in a row; it is served here as it stands.")]
    private static partial void ClaimContended(ILogger logger, string clientId, int attempts);

    [LoggerMessage(324, LogLevel.Warning, "Cluster: the ownership of the session of '{ClientId}' could not be claimed in NATS; it is served here as it stands.")]
    private static partial void ClaimFailed(ILogger logger, Exception exception, string clientId);
}

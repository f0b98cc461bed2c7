using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;
using Starling.Broker;
using Starling.Broker.Sessions;

namespace Starling.Cluster;

/// <summary>
/// Which node owns each client's session, in a JetStream key-value bucket (<see cref="Bucket"/>): key the client id,
/// value the owner and an epoch. A connecting client's node claims the session with compare-and-set on the entry's
/// revision, so two nodes racing for one client cannot both win; when another node owned it, that node is asked (a
/// NATS request to <c>starling.session.handover.&lt;node&gt;</c>) to close the client's connection there as taken
/// over and hand its session over, which is imported here before the CONNACK. An owner that does not answer (gone)
/// hands nothing over: without the durable mode its session's state is lost with it.
/// </summary>
internal sealed partial class ClusterSessions : IRemoteSessions
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
    private INatsKVStore? _owners;

    public ClusterSessions(NatsConnection nats, MqttBroker broker, string node, Func<string, bool> isRouting, ILogger logger)
    {
        _nats = nats;
        _broker = broker;
        _node = node;
        _isRouting = isRouting;
        _logger = logger;
    }

    public static string HandOverSubject(string node) => "starling.session.handover." + ClusterSubjects.Token(node);

    /// <summary>Opens the bucket and answers hand-over requests for this node; returns the loop that answers them.</summary>
    public async Task<Task> StartAsync(int replicas, CancellationToken stopping, CancellationToken cancellationToken)
    {
        var kv = new NatsKVContext(new NatsJSContext(_nats));
        _owners = await kv.CreateOrUpdateStoreAsync(new NatsKVConfig(Bucket) { History = 1, Storage = NatsKVStorageType.File, NumberOfReplicas = replicas }, cancellationToken).ConfigureAwait(false);
        var requests = await _nats.SubscribeCoreAsync<byte[]>(HandOverSubject(_node), cancellationToken: cancellationToken).ConfigureAwait(false);
        return Task.Run(() => AnswerAsync(requests, stopping), CancellationToken.None);
    }

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
                if (owner.Node != _node)
                {
                    await TakeFromAsync(owner.Node, clientId, export: !cleanStart, cancellationToken).ConfigureAwait(false);
                }

                var claimed = await owners.TryUpdateAsync(key, HandOverCodec.EncodeOwner(_node, owner.Epoch + 1), current.Value.Revision, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (claimed.Success)
                {
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

    /// <summary>Asks <paramref name="node"/> for the session, imports it, and waits until NATS routes its filters here.</summary>
    private async Task TakeFromAsync(string node, string clientId, bool export, CancellationToken cancellationToken)
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
            return;
        }

        if (reply.Data is not { Length: > 0 } data)
        {
            return; // it held no session to resume (ended, expired, or asked for none)
        }

        var session = HandOverCodec.DecodeSession(data);
        _broker.ImportSession(session);
        TookOver(_logger, clientId, node, session.Inflight.Count + session.Pending.Count);

        // Messages published elsewhere reach this node's subscribers once NATS has its subscriptions for them.
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
    private static string Key(string clientId) =>
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

    [LoggerMessage(320, LogLevel.Information, "Cluster: the session of '{ClientId}' came from node '{Node}' with {Messages} messages.")]
    private static partial void TookOver(ILogger logger, string clientId, string node, int messages);

    [LoggerMessage(321, LogLevel.Information, "Cluster: the session of '{ClientId}' was handed over to another node with {Messages} messages.")]
    private static partial void HandedOver(ILogger logger, string clientId, int messages);

    [LoggerMessage(322, LogLevel.Warning, "Cluster: node '{Node}', the owner of the session of '{ClientId}', did not answer; the session starts here without its state.")]
    private static partial void OwnerGone(ILogger logger, string node, string clientId);

    [LoggerMessage(323, LogLevel.Warning, "Cluster: the session of '{ClientId}' was claimed by other nodes {Attempts} times in a row; it is served here as it stands.")]
    private static partial void ClaimContended(ILogger logger, string clientId, int attempts);

    [LoggerMessage(324, LogLevel.Warning, "Cluster: the ownership of the session of '{ClientId}' could not be claimed in NATS; it is served here as it stands.")]
    private static partial void ClaimFailed(ILogger logger, Exception exception, string clientId);
}

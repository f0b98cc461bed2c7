using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Starling.Broker;

namespace Starling.Cluster;

/// <summary>
/// Retained messages across the cluster: every node publishes its retained messages (and deletions, an empty payload
/// [MQTT-3.3.1-10]) on <see cref="ClusterSubjects.ForRetained"/>, which a JetStream stream keeps one per subject. At
/// start a node reads the stream's last message of every subject before it serves clients, so one that joins (or
/// comes back) later has them all; then it follows the stream, storing what other nodes publish, in the stream's order.
/// </summary>
internal sealed partial class RetainedMirror
{
    public const string StreamName = "STARLING_RETAINED";

    private readonly NatsJSContext _jetStream;
    private readonly MqttBroker _broker;
    private readonly string _node;
    private readonly int _replicas;
    private readonly ILogger _logger;

    public RetainedMirror(NatsConnection nats, MqttBroker broker, string node, int replicas, ILogger logger)
    {
        _jetStream = new NatsJSContext(nats);
        _broker = broker;
        _node = node;
        _replicas = replicas;
        _logger = logger;
    }

    /// <summary>Creates the stream if need be and returns once the retained messages it holds are in the local store; the loop that follows it runs on.</summary>
    public async Task<Task> StartAsync(CancellationToken stopping, CancellationToken cancellationToken)
    {
        var stream = await _jetStream.CreateOrUpdateStreamAsync(
            new StreamConfig(StreamName, [ClusterSubjects.RetainedPrefix + ".>"])
            {
                MaxMsgsPerSubject = 1, // only the latest retained message of a topic matters
                Storage = StreamConfigStorage.File,
                NumReplicas = _replicas,
                Discard = StreamConfigDiscard.Old,
            },
            cancellationToken).ConfigureAwait(false);

        // An ephemeral consumer of this node's own (NATS removes it once the node has been gone a minute), with one
        // filter subject: Debian's nats-server 2.9 knows no filter_subjects list, which the ordered consumer sends.
        var consumer = await _jetStream.CreateOrUpdateConsumerAsync(
            StreamName,
            new ConsumerConfig("retained-" + Guid.NewGuid().ToString("N"))
            {
                DeliverPolicy = ConsumerConfigDeliverPolicy.LastPerSubject,
                FilterSubject = ClusterSubjects.RetainedPrefix + ".>",
                AckPolicy = ConsumerConfigAckPolicy.None,
                InactiveThreshold = TimeSpan.FromMinutes(1),
            },
            cancellationToken).ConfigureAwait(false);

        var caughtUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (stream.Info.State.Messages == 0)
        {
            caughtUp.TrySetResult();
        }

        var loop = Task.Run(() => FollowAsync(consumer, caughtUp, stopping), CancellationToken.None);
        try
        {
            await caughtUp.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            CatchUpSlow(_logger, StreamName);
        }

        return loop;
    }

    private async Task FollowAsync(INatsJSConsumer consumer, TaskCompletionSource caughtUp, CancellationToken stopping)
    {
        try
        {
            await foreach (var message in consumer.ConsumeAsync<byte[]>(cancellationToken: stopping).ConfigureAwait(false))
            {
                // While catching up, this node's own earlier messages count too (it may have restarted without its
                // store); afterwards it has stored its own already, and storing them again could undo a newer one.
                bool own = message.Headers is { } headers && headers.TryGetValue(NatsCluster.OriginHeader, out var origin) && origin.ToString() == _node;
                if (!own || !caughtUp.Task.IsCompleted)
                {
                    Store(message);
                }

                if (message.Metadata is { NumPending: 0 })
                {
                    caughtUp.TrySetResult();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (NatsException ex)
        {
            FollowFailed(_logger, ex, StreamName);
            caughtUp.TrySetException(ex); // before the catch-up, the broker does not start without its retained messages
        }
    }

    private void Store(INatsJSMsg<byte[]> message)
    {
        // An expired one is not stored; an empty payload deletes the topic's.
        if (NatsCluster.Decode(message.Data) is { } live && ClusterSubjects.ForRetained(live.Topic) == message.Subject)
        {
            _broker.StoreRetainedFromCluster(live);
        }
    }

    [LoggerMessage(310, LogLevel.Warning, "Cluster: reading the retained messages of the stream {Stream} took more than 30 s; the broker starts with what it has read, and the rest follows.")]
    private static partial void CatchUpSlow(ILogger logger, string stream);

    [LoggerMessage(311, LogLevel.Error, "Cluster: following the retained stream {Stream} failed; retained messages from other nodes are no longer mirrored here.")]
    private static partial void FollowFailed(ILogger logger, Exception exception, string stream);
}

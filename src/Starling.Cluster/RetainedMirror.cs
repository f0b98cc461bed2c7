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

    /// <summary>Cancels the consumer being read, when NATS reconnects (a server restart can take an ephemeral consumer with it silently).</summary>
    private CancellationTokenSource? _reading;

    public RetainedMirror(NatsConnection nats, MqttBroker broker, string node, int replicas, ILogger logger)
    {
        _jetStream = new NatsJSContext(nats);
        nats.ConnectionOpened += (_, _) =>
        {
            try
            {
                Volatile.Read(ref _reading)?.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }

            return ValueTask.CompletedTask;
        };
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

        var caughtUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (stream.Info.State.Messages == 0)
        {
            caughtUp.TrySetResult();
        }

        var loop = Task.Run(() => FollowAsync(caughtUp, stopping), CancellationToken.None);
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

    /// <summary>
    /// Reads the stream: first the last message of every topic, then each new one. When NATS goes away (a restart, a
    /// lost connection), a new consumer takes up after the last message read.
    /// </summary>
    private async Task FollowAsync(TaskCompletionSource caughtUp, CancellationToken stopping)
    {
        ulong last = 0;
        while (!stopping.IsCancellationRequested)
        {
            using var reading = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            Volatile.Write(ref _reading, reading);
            try
            {
                var consumer = await CreateConsumerAsync(last, reading.Token).ConfigureAwait(false);
                await foreach (var message in consumer.ConsumeAsync<byte[]>(cancellationToken: reading.Token).ConfigureAwait(false))
                {
                    // While catching up, this node's own earlier messages count too (it may have restarted without
                    // its store); afterwards it has stored its own already, and storing them again could undo a newer one.
                    bool own = message.Headers is { } headers && headers.TryGetValue(NatsCluster.OriginHeader, out var origin) && origin.ToString() == _node;
                    if (!own || !caughtUp.Task.IsCompleted)
                    {
                        Store(message);
                    }

                    if (message.Metadata is { } metadata)
                    {
                        last = metadata.Sequence.Stream;
                        if (metadata.NumPending == 0)
                        {
                            caughtUp.TrySetResult();
                        }
                    }
                }
            }
            catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
            {
                FollowResumed(_logger, StreamName, last);
                continue; // NATS reconnected: a new consumer from after the last message read
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (NatsException ex)
            {
                FollowFailed(_logger, ex, StreamName);
                if (!caughtUp.Task.IsCompleted)
                {
                    caughtUp.TrySetException(ex); // before the catch-up, the broker does not start without its retained messages
                    return;
                }
            }

            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// An ephemeral consumer of this node's own (NATS removes it once the node has been gone a minute), with one
    /// filter subject: Debian's nats-server 2.9 knows no filter_subjects list, which the ordered consumer sends.
    /// From the start, the last message of each topic; after a failure, every message after <paramref name="last"/>.
    /// </summary>
    private async Task<INatsJSConsumer> CreateConsumerAsync(ulong last, CancellationToken cancellationToken)
    {
        var config = new ConsumerConfig("retained-" + Guid.NewGuid().ToString("N"))
        {
            DeliverPolicy = last == 0 ? ConsumerConfigDeliverPolicy.LastPerSubject : ConsumerConfigDeliverPolicy.ByStartSequence,
            FilterSubject = ClusterSubjects.RetainedPrefix + ".>",
            AckPolicy = ConsumerConfigAckPolicy.None,
            InactiveThreshold = TimeSpan.FromMinutes(1),
        };
        if (last != 0)
        {
            config.OptStartSeq = last + 1;
        }

        return await _jetStream.CreateOrUpdateConsumerAsync(StreamName, config, cancellationToken).ConfigureAwait(false);
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

    [LoggerMessage(312, LogLevel.Information, "Cluster: NATS reconnected; the retained stream {Stream} is read again after message {Sequence}.")]
    private static partial void FollowResumed(ILogger logger, string stream, ulong sequence);

    [LoggerMessage(311, LogLevel.Warning, "Cluster: following the retained stream {Stream} failed; it is taken up again after the last message read.")]
    private static partial void FollowFailed(ILogger logger, Exception exception, string stream);
}

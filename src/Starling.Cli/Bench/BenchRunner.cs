using System.Diagnostics;
using System.Globalization;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Cli.Bench;

/// <summary>Runs p2p, fanin, fanout, pub and sub: connect, subscribe, publish for warm-up + duration, drain, summarise.</summary>
internal sealed class BenchRunner(BenchSettings settings, CliConsole console)
{
    private readonly List<BenchPublisher> _publishers = [];
    private readonly List<BenchSubscriber> _subscribers = [];
    private readonly List<StalledSubscriber> _stalled = [];
    private readonly List<Task> _readLoops = [];
    private CancellationToken _stopping;
    private long _connectionErrors;
    private int _reported;

    public async Task<BenchResult> RunAsync(CancellationToken cancellationToken)
    {
        var scenario = settings.Scenario;
        var publisherCount = scenario switch
        {
            BenchScenario.Fanout => 1,
            BenchScenario.Sub => 0,
            _ => settings.Publishers,
        };
        var subscriberCount = scenario switch
        {
            BenchScenario.Fanin => 1,
            BenchScenario.Pub => 0,
            _ => settings.Subscribers,
        };

        using var stopping = new CancellationTokenSource();
        _stopping = stopping.Token;

        // The clock starts when publishing starts, after every connection is up.
        var clock = new BenchClock();
        try
        {
            var runId = Random.Shared.Next(0x10000).ToString("x4", CultureInfo.InvariantCulture);
            await ForEachAsync(subscriberCount, async i =>
            {
                var filter = scenario == BenchScenario.P2p ? BenchSettings.Expand(settings.SubscriptionTemplate, i) : settings.SubscriptionTemplate;
                var connection = await SubscribeAsync($"{settings.ClientIdPrefix}-{runId}-s{i}", filter, null, cancellationToken).ConfigureAwait(false);
                var subscriber = new BenchSubscriber(i, filter, connection, clock, publisherCount);
                lock (_subscribers)
                {
                    _subscribers.Add(subscriber);
                }
            }).ConfigureAwait(false);

            // Stalled subscribers share subscriber 0's filter; after the SUBACK nothing reads their sockets.
            await ForEachAsync(settings.Stalled, async i =>
            {
                var filter = BenchSettings.Expand(settings.SubscriptionTemplate, 0);
                var connection = await SubscribeAsync($"{settings.ClientIdPrefix}-{runId}-x{i}", filter, StalledSubscriber.ReceiveBufferSize, cancellationToken).ConfigureAwait(false);
                lock (_stalled)
                {
                    _stalled.Add(new StalledSubscriber(i, connection));
                }
            }).ConfigureAwait(false);

            if (settings.SubscriberPort is not null)
            {
                // On another node of a cluster, a SUBACK comes before the other nodes route the filter there.
                await Task.Delay(500, cancellationToken).ConfigureAwait(false);
            }

            await ForEachAsync(publisherCount, async i =>
            {
                var topic = BenchSettings.Expand(settings.TopicTemplate, i);
                var connection = await RawConnection.ConnectAsync(settings, $"{settings.ClientIdPrefix}-{runId}-p{i}", cancellationToken).ConfigureAwait(false);
                var publisher = new BenchPublisher(i, topic, connection, settings);
                lock (_publishers)
                {
                    _publishers.Add(publisher);
                }
            }).ConfigureAwait(false);

            _subscribers.Sort((a, b) => a.Index.CompareTo(b.Index));
            _publishers.Sort((a, b) => a.Index.CompareTo(b.Index));
            foreach (var subscriber in _subscribers)
            {
                IEnumerable<BenchPublisher> sources = scenario switch
                {
                    BenchScenario.P2p => _publishers.Where(p => p.Index == subscriber.Index),
                    BenchScenario.Fanin or BenchScenario.Fanout => _publishers,
                    _ => [],
                };
                foreach (var publisher in sources)
                {
                    publisher.Receivers.Add(subscriber.Expect(publisher));
                }
            }

            clock.Begin(settings.Warmup, settings.Duration);
            foreach (var subscriber in _subscribers)
            {
                _readLoops.Add(ReadLoopAsync(subscriber.Connection, subscriber, $"subscriber {subscriber.Index}"));
            }

            foreach (var publisher in _publishers)
            {
                _readLoops.Add(ReadLoopAsync(publisher.Connection, publisher, $"publisher {publisher.Index}"));
            }

            using var publishing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping);
            var publishTasks = _publishers.Select(p => Task.Run(() => PublishAsync(p, clock, publishing.Token), CancellationToken.None)).ToList();
            var progress = ProgressAsync(clock, publishing.Token);
            if (publishTasks.Count == 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(Math.Max(0, (clock.MeasureEnd - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency)), cancellationToken).ConfigureAwait(false);
            }

            await Task.WhenAll(publishTasks).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            await DrainAsync(cancellationToken).ConfigureAwait(false);
            await publishing.CancelAsync().ConfigureAwait(false);
            await progress.ConfigureAwait(false);
            var result = Summarise(clock);
            if (_stalled.Count == 0)
            {
                return result;
            }

            // After the summary, so reading the stalled clients' backlog costs the measured subscribers nothing.
            var ended = await Task.WhenAll(_stalled.Select(s => s.ProbeAsync(TimeSpan.FromSeconds(10)))).ConfigureAwait(false);
            return result with { StalledDisconnected = ended.Count(e => e) };
        }
        finally
        {
            await stopping.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(_subscribers.Select(s => s.Connection.DisconnectAsync())
                .Concat(_publishers.Select(p => p.Connection.DisconnectAsync()))
                .Concat(_stalled.Select(s => s.Connection.DisconnectAsync()))).ConfigureAwait(false);
            await Task.WhenAll(_readLoops).ConfigureAwait(false);
        }
    }

    /// <summary>Connects, subscribes to <paramref name="filter"/> and checks the SUBACK.</summary>
    private async Task<RawConnection> SubscribeAsync(string clientId, string filter, int? receiveBufferSize, CancellationToken cancellationToken)
    {
        var connection = await RawConnection.ConnectAsync(settings, clientId, cancellationToken, receiveBufferSize, settings.PersistentSubscribers, settings.SubscriberPort).ConfigureAwait(false);
        await connection.SendPacketAsync(
            new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription { TopicFilter = filter, QoS = settings.QoS }] },
            cancellationToken).ConfigureAwait(false);
        var answer = await connection.ReadPacketAsync(cancellationToken).ConfigureAwait(false);
        if (answer is not SubAckPacket subAck || subAck.ReasonCodes.Count != 1 || subAck.ReasonCodes[0].IsFailure())
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new CliException(ExitCodes.Refused, $"the broker refused the subscription to '{filter}': {(answer as SubAckPacket)?.ReasonCodes.FirstOrDefault().ToString() ?? answer.Type.ToString()}.");
        }

        return connection;
    }

    private async Task PublishAsync(BenchPublisher publisher, BenchClock clock, CancellationToken cancellationToken)
    {
        try
        {
            await publisher.RunAsync(clock, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            await ReportAsync($"publisher {publisher.Index}", ex).ConfigureAwait(false);
        }
    }

    private async Task ReadLoopAsync(RawConnection connection, IPacketSink sink, string name)
    {
        await Task.Yield();
        try
        {
            await connection.ReadLoopAsync(sink, _stopping).ConfigureAwait(false);
        }
        catch (Exception) when (_stopping.IsCancellationRequested)
        {
            // Closed on purpose.
        }
        catch (Exception ex)
        {
            await ReportAsync(name, ex).ConfigureAwait(false);
        }
    }

    private async Task ReportAsync(string name, Exception ex)
    {
        Interlocked.Increment(ref _connectionErrors);
        if (Interlocked.Increment(ref _reported) <= 5)
        {
            await console.Error.WriteLineAsync($"starling bench: {name}: {ex.Message}").ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Waits until every subscriber has what was sent to it and every acknowledgement is in, or
    /// <see cref="DrainPatienceSeconds"/> pass without progress (a dropped QoS 0 message never arrives).
    /// </summary>
    private async Task DrainAsync(CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (30 * Stopwatch.Frequency);
        var lastProgress = Stopwatch.GetTimestamp();
        var last = -1L;
        while (Stopwatch.GetTimestamp() < deadline && settings.Scenario != BenchScenario.Sub)
        {
            var done = _publishers.All(p => p.Done && p.Receivers.All(r => r.Received >= p.Sent));
            if (done)
            {
                return;
            }

            var progress = _subscribers.Sum(s => s.Deliveries) + _publishers.Sum(p => p.Acked);
            if (progress != last)
            {
                last = progress;
                lastProgress = Stopwatch.GetTimestamp();
            }
            else if (Stopwatch.GetTimestamp() - lastProgress > DrainPatienceSeconds * Stopwatch.Frequency)
            {
                return;
            }

            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Long enough that a reader the OS did not schedule for a while (two cores shared with other work) is not
    /// taken for a loss; short enough that a run with real drops ends soon after its publishers.
    /// </summary>
    private const int DrainPatienceSeconds = 5;

    private async Task ProgressAsync(BenchClock clock, CancellationToken cancellationToken)
    {
        var lastSent = 0L;
        var lastReceived = 0L;
        var lastLine = Stopwatch.GetTimestamp();
        var second = 0;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
                foreach (var publisher in _publishers)
                {
                    publisher.Wake();
                }

                var now = Stopwatch.GetTimestamp();
                if (now - lastLine < Stopwatch.Frequency)
                {
                    continue;
                }

                var elapsed = (now - lastLine) / (double)Stopwatch.Frequency;
                lastLine = now;
                second++;
                var sent = _publishers.Sum(p => p.Sent);
                var received = _subscribers.Sum(s => s.Deliveries);
                var inFlight = _publishers.Sum(p => p.Outstanding);
                var errors = Errors;
                if (settings.Live)
                {
                    var phase = now < clock.MeasureStart ? "warm-up" : now < clock.MeasureEnd ? "measure" : "drain";
                    await console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"[{second,3}s {phase}] sent {(sent - lastSent) / elapsed,10:N0}/s  recv {(received - lastReceived) / elapsed,10:N0}/s  in-flight {inFlight,6:N0}  errors {errors}")).ConfigureAwait(false);
                }

                lastSent = sent;
                lastReceived = received;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private long Errors => Volatile.Read(ref _connectionErrors) + _subscribers.Sum(s => s.Errors) + _publishers.Sum(p => p.Errors);

    private BenchResult Summarise(BenchClock clock)
    {
        // Read each count once: read loops still run, and received and lost must describe the same moment.
        var snapshot = _subscribers.SelectMany(s => s.Trackers).Distinct().ToDictionary(t => t, t => t.Received);
        var latency = new LatencyHistogram();
        long received = 0, duplicated = 0, outOfOrder = 0, windowDeliveries = 0, lost = 0;
        foreach (var subscriber in _subscribers)
        {
            latency.Add(subscriber.Histogram);
            windowDeliveries += subscriber.WindowDeliveries;
            foreach (var tracker in subscriber.Trackers)
            {
                received += snapshot[tracker];
                duplicated += tracker.Duplicated;
                outOfOrder += tracker.OutOfOrder;
                if (settings.Scenario == BenchScenario.Sub && tracker.Highest >= 0)
                {
                    lost += Math.Max(0, tracker.Highest - tracker.First + 1 - snapshot[tracker]);
                }
            }
        }

        if (settings.Scenario != BenchScenario.Sub)
        {
            foreach (var publisher in _publishers)
            {
                foreach (var receiver in publisher.Receivers)
                {
                    lost += Math.Max(0, publisher.Sent - snapshot[receiver]);
                }
            }
        }

        var seconds = settings.Duration.TotalSeconds;
        return new BenchResult
        {
            Scenario = settings.Scenario.ToString().ToLowerInvariant(),
            QoS = (int)settings.QoS,
            Size = settings.Size,
            Publishers = _publishers.Count,
            Subscribers = _subscribers.Count,
            Stalled = _stalled.Count,
            DurationSeconds = seconds,
            Sent = _publishers.Sum(p => p.Sent),
            Received = received,
            Lost = lost,
            Duplicated = duplicated,
            OutOfOrder = outOfOrder,
            Throughput = windowDeliveries / seconds,
            SentThroughput = _publishers.Sum(p => p.Sent) / (settings.Warmup + settings.Duration).TotalSeconds,
            Latency = latency,
            Errors = Errors,
        };
    }

    /// <summary>Runs <paramref name="action"/> for 0..count-1, at most 64 at a time.</summary>
    private static async Task ForEachAsync(int count, Func<int, Task> action)
    {
        using var gate = new SemaphoreSlim(64);
        var tasks = Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync().ConfigureAwait(false);
            try
            {
                await action(i).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        }).ToList();
        await Task.WhenAll(tasks).ConfigureAwait(false);
    }
}

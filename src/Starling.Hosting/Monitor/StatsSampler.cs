using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Starling.Broker;

namespace Starling.Hosting.Monitor;

/// <summary>
/// Once a second: the rates since the last second, CPU and memory, for the overview's live charts (handed to every
/// open stream) and the $SYS loads; it also ticks the topic explorer's rates and attaches or detaches the observer.
/// </summary>
internal sealed class StatsSampler(MqttBroker broker, TopicExplorer explorer, MonitorObserver observer) : BackgroundService
{
    private readonly Lock _gate = new();
    private readonly List<Channel<BrokerSample>> _streams = [];
    private BrokerSample _latest = new(DateTimeOffset.UtcNow, 0, 0, 0, 0, 0, 0, 0);

    /// <summary>When the broker's process started.</summary>
    public DateTimeOffset StartedAt { get; } = Process.GetCurrentProcess().StartTime.ToUniversalTime();

    public BrokerSample Latest => Volatile.Read(ref _latest);

    /// <summary>A stream of samples, one a second, from now; dispose (complete) it by calling <see cref="Unsubscribe"/>.</summary>
    public Channel<BrokerSample> Subscribe()
    {
        var channel = Channel.CreateBounded<BrokerSample>(new BoundedChannelOptions(10) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        lock (_gate)
        {
            _streams.Add(channel);
        }

        channel.Writer.TryWrite(Latest);
        return channel;
    }

    public void Unsubscribe(Channel<BrokerSample> channel)
    {
        lock (_gate)
        {
            _streams.Remove(channel);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var metrics = broker.Metrics;
        var process = Process.GetCurrentProcess();
        long before = Stopwatch.GetTimestamp();
        var cpuBefore = process.TotalProcessorTime;
        (long received, long sent, long bytesIn, long bytesOut) last = (metrics.MessagesReceived, metrics.MessagesSent, metrics.BytesReceived, metrics.BytesSent);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            long now = Stopwatch.GetTimestamp();
            double seconds = Math.Max(0.001, Stopwatch.GetElapsedTime(before, now).TotalSeconds);
            process.Refresh();
            var cpu = process.TotalProcessorTime;
            (long received, long sent, long bytesIn, long bytesOut) current = (metrics.MessagesReceived, metrics.MessagesSent, metrics.BytesReceived, metrics.BytesSent);
            var sample = new BrokerSample(
                DateTimeOffset.UtcNow,
                (current.received - last.received) / seconds,
                (current.sent - last.sent) / seconds,
                (current.bytesIn - last.bytesIn) / seconds,
                (current.bytesOut - last.bytesOut) / seconds,
                broker.ConnectionCount,
                process.WorkingSet64,
                Math.Round((cpu - cpuBefore).TotalSeconds / seconds / Environment.ProcessorCount * 100, 1));
            Volatile.Write(ref _latest, sample);
            (before, cpuBefore, last) = (now, cpu, current);
            explorer.Tick(seconds);
            observer.Update();
            lock (_gate)
            {
                foreach (var stream in _streams)
                {
                    stream.Writer.TryWrite(sample);
                }
            }
        }
    }
}

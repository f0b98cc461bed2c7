using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Starling.Broker;
using Starling.Mqtt;

namespace Starling.Hosting.Monitor;

/// <summary>
/// The $SYS topics in mosquitto's layout, retained, every <see cref="StarlingServerOptions.SysInterval"/> seconds.
/// They go through the broker's usual path, so subscribing to them is authorized like any other subscription (an
/// ACL decides who sees them) [MQTT-4.7.2-1: a wildcard at the start of a filter does not match them].
/// </summary>
internal sealed class SysTopics(MqttBroker broker, IOptions<StarlingServerOptions> options) : BackgroundService
{
    /// <summary>The broker's version, as <c>$SYS/broker/version</c> says it.</summary>
    public static string Version { get; } = "starling " + (typeof(MqttBroker).Assembly.GetName().Version?.ToString(3) ?? "0.0.0");

    /// <summary>The process's start, as the admin API's uptime counts it too.</summary>
    private readonly DateTimeOffset _started = System.Diagnostics.Process.GetCurrentProcess().StartTime.ToUniversalTime();
    private readonly LoadAverage[] _loads = [new(), new(), new(), new()];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        int interval = options.Value.SysInterval;
        if (interval <= 0)
        {
            return;
        }

        Publish("$SYS/broker/version", Version);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(interval));
        var metrics = broker.Metrics;
        do
        {
            var state = metrics.State;
            long received = metrics.MessagesReceived, sent = metrics.MessagesSent, bytesIn = metrics.BytesReceived, bytesOut = metrics.BytesSent;
            Publish("$SYS/broker/uptime", $"{(long)(DateTimeOffset.UtcNow - _started).TotalSeconds} seconds");
            Publish("$SYS/broker/clients/connected", state.SessionsOnline);
            Publish("$SYS/broker/clients/disconnected", state.SessionsOffline);
            Publish("$SYS/broker/clients/total", state.SessionsOnline + state.SessionsOffline);
            Publish("$SYS/broker/messages/received", received);
            Publish("$SYS/broker/messages/sent", sent);
            Publish("$SYS/broker/bytes/received", bytesIn);
            Publish("$SYS/broker/bytes/sent", bytesOut);
            Publish("$SYS/broker/subscriptions/count", state.Subscriptions);
            Publish("$SYS/broker/retained messages/count", state.RetainedMessages);
            Publish("$SYS/broker/heap/current", GC.GetTotalMemory(forceFullCollection: false));
            string[] names = ["messages/received", "messages/sent", "bytes/received", "bytes/sent"];
            long[] totals = [received, sent, bytesIn, bytesOut];
            for (int i = 0; i < names.Length; i++)
            {
                var (one, five, fifteen) = _loads[i].Add(totals[i], interval);
                Publish($"$SYS/broker/load/{names[i]}/1min", one.ToString("0.00", CultureInfo.InvariantCulture));
                Publish($"$SYS/broker/load/{names[i]}/5min", five.ToString("0.00", CultureInfo.InvariantCulture));
                Publish($"$SYS/broker/load/{names[i]}/15min", fifteen.ToString("0.00", CultureInfo.InvariantCulture));
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private void Publish(string topic, long value) => Publish(topic, value.ToString(CultureInfo.InvariantCulture));

    private void Publish(string topic, string value) =>
        broker.Publish(topic, System.Text.Encoding.UTF8.GetBytes(value), MqttQualityOfService.AtMostOnce, retain: true);

    /// <summary>Mosquitto's loads: exponentially weighted moving averages of the count per minute over 1, 5 and 15 minutes.</summary>
    private sealed class LoadAverage
    {
        private long? _last;
        private double _one, _five, _fifteen;

        public (double One, double Five, double Fifteen) Add(long total, int intervalSeconds)
        {
            if (_last is { } last)
            {
                double perMinute = (total - last) * 60.0 / intervalSeconds;
                _one = Smooth(_one, perMinute, intervalSeconds, 60);
                _five = Smooth(_five, perMinute, intervalSeconds, 300);
                _fifteen = Smooth(_fifteen, perMinute, intervalSeconds, 900);
            }

            _last = total;
            return (_one, _five, _fifteen);
        }

        private static double Smooth(double average, double value, int interval, int window)
        {
            double factor = Math.Exp(-(double)interval / window);
            return (average * factor) + (value * (1 - factor));
        }
    }
}

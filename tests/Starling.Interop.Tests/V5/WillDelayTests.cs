using System.Diagnostics;
using MQTTnet.Protocol;
using Starling.Interop.Tests.Infrastructure;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Interop.Tests.V5;

/// <summary>5.0 Will Delay Interval: the will waits out its delay or the session's end, whichever is first; a resumed session cancels it [MQTT-3.1.3-9].</summary>
public sealed class WillDelayTests : BrokerTestBase
{
    private static MqttWill Will(uint delay) => new()
    {
        Topic = "wd/will",
        Payload = "gone"u8.ToArray(),
        QoS = MqttQualityOfService.AtLeastOnce,
        Properties = delay == 0 ? null : new MqttProperties { WillDelayInterval = delay },
    };

    private async Task<MqttNet> WatchAsync()
    {
        var watcher = await MqttNet.ConnectAsync(Broker, Id("watch"));
        await watcher.SubscribeAsync("wd/#", MqttQualityOfServiceLevel.AtLeastOnce);
        return watcher;
    }

    [Fact]
    public async Task Delay2s_Expiry60_Dropped_WillAfterTheDelay_MQTT_3_1_3_9()
    {
        await using var watcher = await WatchAsync();
        var (raw, _) = await V5Raw.ConnectAsync(Broker, Id("wd-2"), new MqttProperties { SessionExpiryInterval = 60 }, cleanStart: false, will: Will(2));
        var clock = Stopwatch.StartNew();
        raw.Drop();
        Assert.Null(watcher.Next(TimeSpan.FromSeconds(1)));
        var will = watcher.Next(TimeSpan.FromSeconds(5)); // generous: the suite runs on 2 shared cores
        Assert.NotNull(will);
        Assert.Equal("gone", MqttNet.Text(will));
        Assert.InRange(clock.Elapsed.TotalSeconds, 1.9, 6.0); // never before the delay [MQTT-3.1.3-9]
    }

    [Fact]
    public async Task ResumedWithinDelay_WillNeverSent_MQTT_3_1_3_9()
    {
        await using var watcher = await WatchAsync();
        string id = Id("wd-resume");
        var (raw, _) = await V5Raw.ConnectAsync(Broker, id, new MqttProperties { SessionExpiryInterval = 60 }, cleanStart: false, will: Will(2));
        raw.Drop();
        await WaitForOfflineAsync(Broker, id);
        await Task.Delay(300);

        var (again, connack) = await V5Raw.ConnectAsync(Broker, id, new MqttProperties { SessionExpiryInterval = 60 }, cleanStart: false);
        await using var _ = again;
        Assert.True(connack.SessionPresent);
        Assert.Null(watcher.Next(TimeSpan.FromSeconds(3)));
    }

    [Fact]
    public async Task Delay10s_Expiry1s_WillSentAtSessionEnd_MQTT_3_1_3_9()
    {
        await using var watcher = await WatchAsync();
        var (raw, _) = await V5Raw.ConnectAsync(Broker, Id("wd-end"), new MqttProperties { SessionExpiryInterval = 1 }, cleanStart: false, will: Will(10));
        var clock = Stopwatch.StartNew();
        raw.Drop();
        var will = watcher.Next(TimeSpan.FromSeconds(7));
        Assert.NotNull(will);
        Assert.InRange(clock.Elapsed.TotalSeconds, 0.9, 7); // at the session's end (~1-2 s), well before the 10 s delay
    }

    [Fact]
    public async Task DelayZero_WillIsImmediate()
    {
        await using var watcher = await WatchAsync();
        var (raw, _) = await V5Raw.ConnectAsync(Broker, Id("wd-0"), new MqttProperties { SessionExpiryInterval = 60 }, cleanStart: false, will: Will(0));
        var clock = Stopwatch.StartNew();
        raw.Drop();
        var will = watcher.Next(TimeSpan.FromSeconds(2));
        Assert.NotNull(will);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(0.9), $"will took {clock.Elapsed.TotalMilliseconds} ms");
    }
}

using System.Globalization;
using Starling.Mqtt;

namespace Starling.Interop.Tests.Bridges;

/// <summary>
/// QoS 1 across outages: mosquitto (persistence on) restarted while the bridge forwards, and mosquitto away while
/// Starling (its durable SQLite store on) restarts with the bridge's queue. Every message arrives; duplicates are
/// allowed by QoS 1 and counted.
/// </summary>
public sealed class BridgeRestartTests : IDisposable
{
    private readonly MosquittoServer _mosquitto = MosquittoServer.Start();
    private readonly string _data = Path.Combine(Path.GetTempPath(), "starling-bridge-data-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        _mosquitto.Dispose();
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    [Theory]
    [InlineData("3.1.1")]
    [InlineData("5.0")]
    public async Task RemoteRestartsMidStream_NoQoS1MessageIsLost(string version)
    {
        const int Count = 300;
        var (broker, _) = await new BridgeSettings("restart" + version, _mosquitto.Port, version).Topic("feed/#", "out", 1).StartAsync();
        await using var __ = broker;

        // The receiver on mosquitto keeps a persistent session, so what mosquitto took while it was away waits for it.
        var received = new List<string>();
        await using (var first = await Subscriber.StartAsync(_mosquitto.Port, "feed/#", MqttQualityOfService.AtLeastOnce, clientId: "receiver", clean: false))
        {
            await using var publisher = await Subscriber.PublisherAsync(broker.Port);
            for (int i = 0; i < Count; i++)
            {
                await publisher.PublishAsync("feed/x", i.ToString(CultureInfo.InvariantCulture), MqttQualityOfService.AtLeastOnce);
                if (i == Count / 3)
                {
                    _mosquitto.RestartGracefully(); // mid-stream: the bridge's link and the receiver both drop
                }

                await Task.Delay(2);
            }

            received.AddRange(first.Payloads);
        }

        await using var again = await Subscriber.StartAsync(_mosquitto.Port, "feed/#", MqttQualityOfService.AtLeastOnce, clientId: "receiver", clean: false);
        var expected = Enumerable.Range(0, Count).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToHashSet();
        await Poll.UntilAsync(() => expected.IsSubsetOf(received.Concat(again.Payloads)), $"all {Count} messages", TimeSpan.FromSeconds(30));
        var all = received.Concat(again.Payloads).ToList();
        int duplicates = all.Count - all.Distinct().Count();
        Assert.True(duplicates < Count, $"{duplicates} duplicates of {Count}");
        Assert.Empty(expected.Except(all));
    }

    [Fact]
    public async Task StarlingRestartsWithQueuedBridgeMessages_DurableStore_DeliversThemAll()
    {
        const int Count = 50;
        string[] durable = ["--Starling:Storage:Type=sqlite", $"--Starling:Storage:Path={_data}"];
        var settings = new BridgeSettings("durable", _mosquitto.Port, "5.0").Topic("queued/#", "out", 1);
        await using var receiver = await Subscriber.StartAsync(_mosquitto.Port, "queued/#", MqttQualityOfService.AtLeastOnce, clientId: "durable-receiver", clean: false);

        var (first, bridge) = await settings.StartAsync(durable);
        await using (first)
        {
            _mosquitto.Stop(); // the remote is away: the bridge's session here queues
            await Poll.UntilAsync(() => bridge.State != Bridge.BridgeState.Connected, "the bridge to see mosquitto go");
            await using var publisher = await Subscriber.PublisherAsync(first.Port);
            for (int i = 0; i < Count; i++)
            {
                await publisher.PublishAsync("queued/x", i.ToString(CultureInfo.InvariantCulture), MqttQualityOfService.AtLeastOnce);
            }
        }

        _mosquitto.RestartGracefully();
        await using var second = (await settings.StartAsync(durable)).Broker;
        await using var receiverAgain = await Subscriber.StartAsync(_mosquitto.Port, "queued/#", MqttQualityOfService.AtLeastOnce, clientId: "durable-receiver", clean: false);
        var expected = Enumerable.Range(0, Count).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToHashSet();
        await Poll.UntilAsync(() => expected.IsSubsetOf(receiverAgain.Payloads), $"all {Count} queued messages", TimeSpan.FromSeconds(20));
    }
}

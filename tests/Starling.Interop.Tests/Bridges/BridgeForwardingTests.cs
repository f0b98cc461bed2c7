using System.Globalization;
using Starling.Mqtt;

namespace Starling.Interop.Tests.Bridges;

/// <summary>
/// A Starling broker bridged to a real mosquitto (Debian's, started here on 127.0.0.1), configured as a user would
/// (Starling:Bridges): topics forwarded out, in and both ways, with mosquitto's prefix remapping and QoS, and no loop.
/// Clients on both sides are real MQTT clients over TCP; one side's publisher is Debian's mosquitto_pub.
/// </summary>
public sealed class BridgeForwardingTests : IDisposable
{
    private readonly MosquittoServer _mosquitto = MosquittoServer.Start();

    public void Dispose() => _mosquitto.Dispose();

    [Theory]
    [InlineData("3.1.1")]
    [InlineData("5.0")]
    public async Task Out_RemapsLocalPrefixToRemotePrefix_AndCapsQoS(string version)
    {
        var (broker, bridge) = await new BridgeSettings("out" + version, _mosquitto.Port, version)
            .Topic("sensors/#", "out", 1, localPrefix: "site/", remotePrefix: "hq/site1/")
            .Topic("status", "out", 0, localPrefix: "site/", remotePrefix: "hq/site1/")
            .StartAsync();
        await using var _ = broker;
        await using var remote = await Subscriber.StartAsync(_mosquitto.Port, "#", MqttQualityOfService.ExactlyOnce);
        await using var publisher = await Subscriber.PublisherAsync(broker.Port);

        for (int i = 0; i < 20; i++)
        {
            await publisher.PublishAsync("site/sensors/hall/temp", "t" + i.ToString(CultureInfo.InvariantCulture), MqttQualityOfService.ExactlyOnce);
        }

        await publisher.PublishAsync("site/status", "up", MqttQualityOfService.AtLeastOnce);
        await publisher.PublishAsync("site/elsewhere", "not bridged", MqttQualityOfService.AtLeastOnce);
        await publisher.PublishAsync("sensors/hall/temp", "no prefix, not bridged", MqttQualityOfService.AtLeastOnce);

        await Poll.UntilAsync(() => remote.Received.Count >= 21, "21 messages on mosquitto");
        await Task.Delay(300);
        var received = remote.Received.ToArray();
        Assert.Equal(21, received.Length);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => "t" + i.ToString(CultureInfo.InvariantCulture)), remote.Payloads.Take(20));
        Assert.All(received.Take(20), m => Assert.Equal("hq/site1/sensors/hall/temp", m.Topic));
        Assert.All(received.Take(20), m => Assert.Equal(MqttQualityOfService.AtLeastOnce, m.QoS)); // the bridge topic's QoS 1 caps the publisher's 2
        Assert.Equal("hq/site1/status", received[20].Topic);
        Assert.Equal(MqttQualityOfService.AtMostOnce, received[20].QoS);
        Assert.Equal(20 + 1, bridge.Forwarded.Out);
    }

    [Theory]
    [InlineData("3.1.1")]
    [InlineData("5.0")]
    public async Task In_RemapsRemotePrefixToLocalPrefix_FromMosquittoPub(string version)
    {
        var (broker, _) = await new BridgeSettings("in" + version, _mosquitto.Port, version)
            .Topic("cmd/+", "in", 1, localPrefix: "devices/", remotePrefix: "hq/")
            .StartAsync();
        await using var __ = broker;
        await using var local = await Subscriber.StartAsync(broker.Port, "#", MqttQualityOfService.AtLeastOnce, MqttProtocolVersion.V500);

        for (int i = 0; i < 5; i++)
        {
            var (code, _, error) = await Infrastructure.Mosquitto.RunAsync("mosquitto_pub", ["-h", "127.0.0.1", "-p", _mosquitto.Port.ToString(CultureInfo.InvariantCulture), "-q", "1", "-t", "hq/cmd/reboot", "-m", "r" + i.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10));
            Assert.True(code == 0, error);
        }

        var (c2, _, e2) = await Infrastructure.Mosquitto.RunAsync("mosquitto_pub", ["-h", "127.0.0.1", "-p", _mosquitto.Port.ToString(CultureInfo.InvariantCulture), "-q", "1", "-t", "hq/other/x", "-m", "not bridged"], TimeSpan.FromSeconds(10));
        Assert.True(c2 == 0, e2);

        await Poll.UntilAsync(() => local.Received.Count >= 5, "5 messages on Starling");
        await Task.Delay(300);
        Assert.Equal(["r0", "r1", "r2", "r3", "r4"], local.Payloads);
        Assert.All(local.Received, m => Assert.Equal("devices/cmd/reboot", m.Topic));
        Assert.All(local.Received, m => Assert.Equal(MqttQualityOfService.AtLeastOnce, m.QoS));
    }

    /// <summary>
    /// QoS 2 both ways: a bridge topic at QoS 2 carries QoS 2 publishes as QoS 2 to the other broker, each once
    /// [MQTT-4.3.3-2] (out: Starling to mosquitto; in: mosquitto_pub -q 2 to Starling).
    /// </summary>
    [Theory]
    [InlineData("3.1.1")]
    [InlineData("5.0")]
    public async Task ExactlyOnce_BothWays_ArrivesAtQoS2_EachOnce(string version)
    {
        var (broker, bridge) = await new BridgeSettings("qos2" + version, _mosquitto.Port, version)
            .Topic("up/#", "out", 2)
            .Topic("down/#", "in", 2)
            .StartAsync();
        await using var _ = broker;
        await using var remote = await Subscriber.StartAsync(_mosquitto.Port, "up/#", MqttQualityOfService.ExactlyOnce);
        await using var local = await Subscriber.StartAsync(broker.Port, "down/#", MqttQualityOfService.ExactlyOnce, MqttProtocolVersion.V500);
        await using var publisher = await Subscriber.PublisherAsync(broker.Port);
        for (int i = 0; i < 30; i++)
        {
            await publisher.PublishAsync("up/x", "u" + i.ToString(CultureInfo.InvariantCulture), MqttQualityOfService.ExactlyOnce);
        }

        for (int i = 0; i < 5; i++)
        {
            var (code, _, error) = await Infrastructure.Mosquitto.RunAsync("mosquitto_pub", ["-h", "127.0.0.1", "-p", _mosquitto.Port.ToString(CultureInfo.InvariantCulture), "-q", "2", "-t", "down/y", "-m", "d" + i.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10));
            Assert.True(code == 0, error);
        }

        await Poll.UntilAsync(() => remote.Received.Count >= 30 && local.Received.Count >= 5, "30 messages on mosquitto and 5 on Starling");
        await Task.Delay(300);
        Assert.Equal(Enumerable.Range(0, 30).Select(i => "u" + i.ToString(CultureInfo.InvariantCulture)), remote.Payloads);
        Assert.All(remote.Received, m => Assert.Equal(MqttQualityOfService.ExactlyOnce, m.QoS));
        Assert.Equal(Enumerable.Range(0, 5).Select(i => "d" + i.ToString(CultureInfo.InvariantCulture)), local.Payloads);
        Assert.All(local.Received, m => Assert.Equal(MqttQualityOfService.ExactlyOnce, m.QoS));
        Assert.Equal(30, bridge.Forwarded.Out);
    }

    /// <summary>
    /// Both ways on the same topics with no prefix, where a loop would be easiest: each message reaches the other side
    /// once and comes back to neither. 5.0: No Local on both brokers [MQTT-3.8.3-3]; 3.1.1: No Local here and the
    /// echo filter toward mosquitto.
    /// </summary>
    [Theory]
    [InlineData("3.1.1")]
    [InlineData("5.0")]
    public async Task Both_ForwardsEachWayOnce_WithoutALoop_MQTT_3_8_3_3(string version)
    {
        var (broker, bridge) = await new BridgeSettings("both" + version, _mosquitto.Port, version)
            .Topic("chat/#", "both", 1)
            .StartAsync();
        await using var _ = broker;
        await using var localSubscriber = await Subscriber.StartAsync(broker.Port, "chat/#", MqttQualityOfService.AtLeastOnce);
        await using var remoteSubscriber = await Subscriber.StartAsync(_mosquitto.Port, "chat/#", MqttQualityOfService.AtLeastOnce);
        await using var localPublisher = await Subscriber.PublisherAsync(broker.Port);
        await using var remotePublisher = await Subscriber.PublisherAsync(_mosquitto.Port);

        for (int i = 0; i < 10; i++)
        {
            await localPublisher.PublishAsync("chat/local", "L" + i.ToString(CultureInfo.InvariantCulture), MqttQualityOfService.AtLeastOnce);
            await remotePublisher.PublishAsync("chat/remote", "R" + i.ToString(CultureInfo.InvariantCulture), MqttQualityOfService.AtLeastOnce);
        }

        await Poll.UntilAsync(() => localSubscriber.Received.Count >= 20 && remoteSubscriber.Received.Count >= 20, "20 messages on each side");
        await Task.Delay(1000); // a loop would go on multiplying them meanwhile
        foreach (var side in new[] { localSubscriber, remoteSubscriber })
        {
            var payloads = side.Payloads.ToArray();
            Assert.Equal(20, payloads.Length);
            Assert.Equal(Enumerable.Range(0, 10).Select(i => "L" + i.ToString(CultureInfo.InvariantCulture)), payloads.Where(p => p[0] == 'L'));
            Assert.Equal(Enumerable.Range(0, 10).Select(i => "R" + i.ToString(CultureInfo.InvariantCulture)), payloads.Where(p => p[0] == 'R'));
        }

        Assert.Equal((10L, 10L), bridge.Forwarded);
    }
}

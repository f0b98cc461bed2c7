using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Starling.Interop.Tests.Infrastructure;
using Starling.TestSupport;

namespace Starling.Interop.Tests.Cluster;

/// <summary>The NATS server is killed and started again under a running cluster: routing, the retained stream and session claims come back.</summary>
public sealed class ClusterNatsRestartTests : ClusterTestBase
{
    [Fact]
    public async Task AfterNatsRestarts_MessagesCrossAgain_RetainedMessagesAreMirroredAgain_AndSessionsStillMove()
    {
        await using var subscriber = await MqttNet.ConnectAsync(Nodes[1], "after-sub", MqttProtocolVersion.V500);
        await subscriber.SubscribeAsync("after/#", MqttQualityOfServiceLevel.AtLeastOnce);
        await WhenRoutingAsync("after/#");
        await using var publisher = await MqttNet.ConnectAsync(Nodes[0], "after-pub");
        await publisher.PublishAsync("after/before", "before", MqttQualityOfServiceLevel.AtLeastOnce);
        Assert.Equal("before", MqttNet.Text(subscriber.Next()));

        Nats.Restart();

        // Across nodes delivery is at most once, so messages sent while the nodes reconnect may be lost: publish
        // until one crosses, which needs the nodes' NATS subscriptions back.
        string? crossed = null;
        for (int i = 0; i < 100 && crossed is null; i++)
        {
            await publisher.PublishAsync("after/again", $"again{i}", MqttQualityOfServiceLevel.AtLeastOnce);
            crossed = subscriber.Next(TimeSpan.FromMilliseconds(200)) is { } message ? MqttNet.Text(message) : null;
        }

        Assert.NotNull(crossed);

        // The retained stream is followed again.
        for (int i = 0; i < 50 && Retained(Nodes[2], "after/retained") is null; i++)
        {
            await publisher.PublishAsync("after/retained", "kept", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);
            await Task.Delay(200);
        }

        Assert.Equal("kept", Retained(Nodes[2], "after/retained"));

        // And a session still follows its client to another node.
        await using (var first = await MqttNet.ConnectAsync(Nodes[0], "after-roamer", MqttProtocolVersion.V500, cleanSession: false))
        {
            await first.SubscribeAsync("after/roam", MqttQualityOfServiceLevel.AtLeastOnce);
            await first.Client.DisconnectAsync();
        }

        await using var moved = MqttNet.Create();
        var result = await moved.Client.ConnectAsync(MqttNet.Options(Nodes[2], "after-roamer", MqttProtocolVersion.V500).WithCleanStart(false).WithSessionExpiryInterval(300).Build());
        Assert.True(result.IsSessionPresent);
    }
}

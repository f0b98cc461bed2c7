using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Starling.Interop.Tests.Infrastructure;
using Starling.TestSupport;

namespace Starling.Interop.Tests.Cluster;

/// <summary>
/// A client's session follows it from node to node: the session's owner is claimed in the JetStream bucket, the old
/// node closes its connection as taken over and hands the queue, the in-flight messages and the subscriptions over, and
/// the CONNACK on the new node says Session Present. Clients are MQTTnet.
/// </summary>
public sealed class ClusterSessionTests : ClusterTestBase
{
    [Fact]
    public async Task OfflineSession_MovesToTheNodeTheClientReturnsTo_WithItsQueue_AndBackAgain_MQTT_3_2_2_2()
    {
        await using (var first = await MqttNet.ConnectAsync(Nodes[0], "roamer", MqttProtocolVersion.V500, cleanSession: false))
        {
            await first.SubscribeAsync("roam/a/#", MqttQualityOfServiceLevel.AtLeastOnce);
            await WhenRoutingAsync("roam/a/#");
            await first.Client.DisconnectAsync();
        }

        await using var publisher = await MqttNet.ConnectAsync(Nodes[2], "roam-pub");
        for (int i = 0; i < 10; i++)
        {
            await publisher.PublishAsync($"roam/a/{i}", $"q{i}", MqttQualityOfServiceLevel.AtLeastOnce);
        }

        await Poll.UntilAsync(() => Queued(Nodes[0], "roamer") == 10, "the ten messages queued on node1");

        var second = MqttNet.Create();
        await using (second)
        {
            var result = await second.Client.ConnectAsync(MqttNet.Options(Nodes[1], "roamer", MqttProtocolVersion.V500).WithCleanStart(false).WithSessionExpiryInterval(300).Build());
            Assert.True(result.IsSessionPresent);
            Assert.Equal(Enumerable.Range(0, 10).Select(i => $"q{i}"), Enumerable.Range(0, 10).Select(_ => MqttNet.Text(second.Next())));
            Assert.Null(Queued(Nodes[0], "roamer")); // it left node1

            // Its subscription came along: a message published on node1 now reaches it on node2.
            await using var onOne = await MqttNet.ConnectAsync(Nodes[0], "roam-pub1");
            await onOne.PublishAsync("roam/a/late", "late", MqttQualityOfServiceLevel.AtLeastOnce);
            Assert.Equal("late", MqttNet.Text(second.Next()));
            await second.Client.DisconnectAsync();
        }

        await publisher.PublishAsync("roam/a/back", "back", MqttQualityOfServiceLevel.AtLeastOnce);
        await Poll.UntilAsync(() => Queued(Nodes[1], "roamer") == 1, "the message queued on node2");
        await using var third = MqttNet.Create();
        var again = await third.Client.ConnectAsync(MqttNet.Options(Nodes[0], "roamer", MqttProtocolVersion.V500).WithCleanStart(false).WithSessionExpiryInterval(300).Build());
        Assert.True(again.IsSessionPresent);
        Assert.Equal("back", MqttNet.Text(third.Next()));
    }

    [Fact]
    public async Task LiveConnection_TakenOverFromAnotherNode_IsClosedWith0x8E_AndItsInflightMessagesAreResentWithDup_MQTT_3_1_4_3()
    {
        var old = await MqttNet.ConnectAsync(Nodes[0], "mover", MqttProtocolVersion.V500, cleanSession: false);
        await using (old)
        {
            old.AutoAcknowledge = false; // the messages stay in flight on node1
            await old.SubscribeAsync("move/b", MqttQualityOfServiceLevel.AtLeastOnce);
            await WhenRoutingAsync("move/b");
            await using var publisher = await MqttNet.ConnectAsync(Nodes[2], "move-pub");
            for (int i = 0; i < 3; i++)
            {
                await publisher.PublishAsync("move/b", $"f{i}", MqttQualityOfServiceLevel.AtLeastOnce);
            }

            for (int i = 0; i < 3; i++)
            {
                Assert.False(old.Next().Dup);
            }

            await using var moved = MqttNet.Create();
            var result = await moved.Client.ConnectAsync(MqttNet.Options(Nodes[1], "mover", MqttProtocolVersion.V500).WithCleanStart(false).WithSessionExpiryInterval(300).Build());
            Assert.True(result.IsSessionPresent);

            var closed = await old.Disconnected.Task.WaitAsync(TimeSpan.FromSeconds(5));
            Assert.Equal(MqttClientDisconnectReason.SessionTakenOver, closed.Reason);

            var resent = Enumerable.Range(0, 3).Select(_ => moved.Next()).ToList();
            Assert.Equal(["f0", "f1", "f2"], resent.Select(MqttNet.Text));
            Assert.All(resent, m => Assert.True(m.Dup)); // [MQTT-4.4.0-1]
        }
    }

    [Fact]
    public async Task CleanStart_OnAnotherNode_EndsTheSessionThere_AndStartsAfresh_MQTT_3_1_2_4()
    {
        var old = await MqttNet.ConnectAsync(Nodes[0], "fresh", MqttProtocolVersion.V311, cleanSession: false);
        await using (old)
        {
            await old.SubscribeAsync("fresh/#", MqttQualityOfServiceLevel.AtLeastOnce);
            await using var fresh = MqttNet.Create();
            var result = await fresh.Client.ConnectAsync(MqttNet.Options(Nodes[2], "fresh").WithCleanSession(true).Build());
            Assert.False(result.IsSessionPresent);
            await old.Disconnected.Task.WaitAsync(TimeSpan.FromSeconds(5)); // 3.1.1: the old connection is closed [MQTT-3.1.4-2]
            await Poll.UntilAsync(() => Queued(Nodes[0], "fresh") is null, "the old session gone from node1");
        }
    }

    /// <summary>The messages queued in a node's session of <paramref name="clientId"/>, or null when it holds none.</summary>
    private static int? Queued(BrokerFixture node, string clientId) =>
        node.Broker.SessionSnapshots().FirstOrDefault(s => s.ClientId == clientId)?.Queued;
}

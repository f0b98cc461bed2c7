using System.Text;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Starling.Interop.Tests.Infrastructure;
using Starling.TestSupport;

namespace Starling.Interop.Tests.Cluster;

/// <summary>
/// Three starling-server processes joined through a real nats-server, and one of them killed with SIGKILL or cut off
/// from NATS: a survivor takes up the lost node's sessions from the state it kept in NATS and publishes its clients'
/// wills, each once.
/// </summary>
public sealed class ClusterNodeFailureTests : ClusterProcessTestBase
{
    private static readonly TimeSpan Adoption = TimeSpan.FromSeconds(25); // 10 s without heartbeats, then the take-up

    [Fact]
    public async Task KilledNode_ASurvivorPublishesEachWillOnce_AndTakesUpItsOfflineSession_WhichQueuesForItsClient()
    {
        // [MQTT-3.1.2-8] a will is published when the network connection closes without DISCONNECT: here, with its node.
        await using var watcher2 = await MqttNet.ConnectAsync(Nodes[1], "watch-2", MqttProtocolVersion.V500);
        await using var watcher3 = await MqttNet.ConnectAsync(Nodes[2], "watch-3", MqttProtocolVersion.V500);
        await watcher2.SubscribeAsync("lost/will/#", MqttQualityOfServiceLevel.AtLeastOnce);
        await watcher3.SubscribeAsync("lost/will/#", MqttQualityOfServiceLevel.AtLeastOnce);

        var dead = Nodes[0];
        var v311 = await MqttNet.ConnectAsync(dead, "will-311", MqttProtocolVersion.V311, configure: o => Will(o, "lost/will/311"));
        var v5 = await MqttNet.ConnectAsync(dead, "will-5", MqttProtocolVersion.V500, configure: o => Will(o, "lost/will/5"));
        var delayed = await MqttNet.ConnectAsync(dead, "will-5-delayed", MqttProtocolVersion.V500, cleanSession: false, configure: o => Will(o, "lost/will/delayed", delay: 2));
        var polite = await MqttNet.ConnectAsync(dead, "will-discarded", MqttProtocolVersion.V500, configure: o => Will(o, "lost/will/discarded"));
        await polite.Client.DisconnectAsync(); // a DISCONNECT discards the will [MQTT-3.1.2-10]

        await using (var away = await MqttNet.ConnectAsync(dead, "away", MqttProtocolVersion.V500, cleanSession: false))
        {
            await away.SubscribeAsync("lost/queue", MqttQualityOfServiceLevel.AtLeastOnce);
            await away.Client.DisconnectAsync();
        }

        await Task.Delay(1000); // the node writes its sessions' states within milliseconds of each change
        await dead.KillAsync();

        var wills = new List<string>();
        await Poll.UntilAsync(() => Drain(watcher2, wills) >= 3, "the three wills on node2", Adoption);
        await Task.Delay(3000); // a second publication would come from another survivor about now
        Drain(watcher2, wills);
        Assert.Equal(["lost/will/311", "lost/will/5", "lost/will/delayed"], wills.Order(StringComparer.Ordinal));

        var onNode3 = new List<string>();
        Drain(watcher3, onNode3);
        Assert.Equal(["lost/will/311", "lost/will/5", "lost/will/delayed"], onNode3.Order(StringComparer.Ordinal));

        // The offline session was taken up with its subscription: a message published now is queued for its client,
        // which finds its session on any node.
        await using (var publisher = await MqttNet.ConnectAsync(Nodes[2], "queue-pub", MqttProtocolVersion.V500))
        {
            await publisher.PublishAsync("lost/queue", "kept for you", MqttQualityOfServiceLevel.AtLeastOnce);
        }

        await using var back = await ResumeAsync(Nodes[2], "away", "the session of a client of the dead node was not taken up");
        Assert.Equal("kept for you", MqttNet.Text(back.Next(TimeSpan.FromSeconds(10)) ?? throw new TimeoutException("the queued message did not come")));

        foreach (var client in new[] { v311, v5, delayed, polite })
        {
            await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task ClientOfAKilledNode_ReconnectingElsewhereAtOnce_FindsItsSession_AndItsWillIsPublishedOnce()
    {
        await using var watcher = await MqttNet.ConnectAsync(Nodes[2], "watch", MqttProtocolVersion.V500);
        await watcher.SubscribeAsync("moved/will", MqttQualityOfServiceLevel.AtLeastOnce);

        var dead = Nodes[0];
        var first = await MqttNet.ConnectAsync(dead, "mover", MqttProtocolVersion.V500, cleanSession: false, configure: o => Will(o, "moved/will"));
        await first.SubscribeAsync("moved/data", MqttQualityOfServiceLevel.AtLeastOnce);
        await Task.Delay(1000);
        await dead.KillAsync();

        // Before the survivors notice that node1 is gone, the client comes back on node2: node1 does not answer the
        // hand-over, so node2 takes the session up from the state node1 kept.
        await using var again = await ResumeAsync(Nodes[1], "mover");

        await using (var publisher = await MqttNet.ConnectAsync(Nodes[2], "data-pub", MqttProtocolVersion.V500))
        {
            await publisher.PublishAsync("moved/data", "still subscribed", MqttQualityOfServiceLevel.AtLeastOnce);
        }

        Assert.Equal("still subscribed", MqttNet.Text(again.Next(TimeSpan.FromSeconds(10)) ?? throw new TimeoutException("the subscription did not move")));

        // The lost connection's will, once: by node2 as it took the session up, not again when the survivors see node1 gone.
        var wills = new List<string>();
        await Poll.UntilAsync(() => Drain(watcher, wills) >= 1, "the will", Adoption);
        await Task.Delay(TimeSpan.FromSeconds(15)); // past the 10 s after which the survivors take node1 for dead
        Drain(watcher, wills);
        Assert.Equal(["moved/will"], wills);
        await first.DisposeAsync();
    }

    [Fact]
    public async Task NodeCutOffFromNats_ItsSessionIsTakenUpElsewhere_AndWhenTheLinkHeals_ItsCopyEnds_AndTheClientFindsTheQueue()
    {
        await using var watcher = await MqttNet.ConnectAsync(Nodes[1], "cut-watch", MqttProtocolVersion.V500);
        await watcher.SubscribeAsync("cut/will", MqttQualityOfServiceLevel.AtLeastOnce);
        var cut = Nodes[0];
        await using var island = await MqttNet.ConnectAsync(cut, "islander", MqttProtocolVersion.V500, cleanSession: false, configure: o => Will(o, "cut/will"));
        await island.SubscribeAsync("cut/data", MqttQualityOfServiceLevel.AtLeastOnce);
        await Task.Delay(1000);

        Link.Cut();

        // node1 runs on and keeps its client, but the others hear nothing from it: after 10 s one of them takes the
        // session up, and publishes the will of a connection it can no longer see.
        var wills = new List<string>();
        await Poll.UntilAsync(() => Drain(watcher, wills) >= 1, "the will of node1's client", Adoption);
        Assert.True(cut.IsRunning);
        await using (var publisher = await MqttNet.ConnectAsync(Nodes[2], "cut-pub", MqttProtocolVersion.V500))
        {
            await publisher.PublishAsync("cut/data", "while you were away", MqttQualityOfServiceLevel.AtLeastOnce);
        }

        Link.Heal();

        // node1 reconnects, finds the owner record naming another node and ends its copy: its client is told the
        // session was taken over [MQTT-3.1.4-3], and no second will is published.
        var closed = await island.Disconnected.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(MqttClientDisconnectReason.SessionTakenOver, closed.Reason);

        await using var back = await ResumeAsync(cut, "islander");
        Assert.Equal("while you were away", MqttNet.Text(back.Next(TimeSpan.FromSeconds(10)) ?? throw new TimeoutException("the message queued on the new owner did not come")));

        await Task.Delay(2000);
        Drain(watcher, wills);
        Assert.Equal(["cut/will"], wills);
    }

    private static void Will(MqttClientOptionsBuilder options, string topic, uint delay = 0)
    {
        options.WithWillTopic(topic).WithWillPayload(Encoding.UTF8.GetBytes("gone")).WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
        if (delay > 0)
        {
            options.WithWillDelayInterval(delay).WithSessionExpiryInterval(300);
        }
    }

    private static int Drain(MqttNet client, List<string> topics)
    {
        while (client.Next(TimeSpan.Zero) is { } message)
        {
            topics.Add(message.Topic);
        }

        return topics.Count;
    }
}

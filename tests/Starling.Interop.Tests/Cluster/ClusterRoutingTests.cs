using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using Starling.Cluster;
using Starling.Interop.Tests.Infrastructure;
using Starling.TestSupport;

namespace Starling.Interop.Tests.Cluster;

/// <summary>
/// Three brokers joined through a real nats-server (Debian's, started here on 127.0.0.1): a message published on one
/// reaches the subscribers of the others, wildcards and the $ rule are decided by the receiving broker, retained
/// messages reach every node. Clients are MQTTnet and mosquitto_pub/sub.
/// </summary>
public sealed class ClusterRoutingTests : ClusterTestBase
{
    [Theory]
    [InlineData(MqttQualityOfServiceLevel.AtMostOnce)]
    [InlineData(MqttQualityOfServiceLevel.AtLeastOnce)]
    [InlineData(MqttQualityOfServiceLevel.ExactlyOnce)]
    public async Task PublishOnOneNode_ReachesSubscribersOnTheOthers_AtTheGrantedQoS(MqttQualityOfServiceLevel qos)
    {
        await using var onTwo = await MqttNet.ConnectAsync(Nodes[1], "sub-two", MqttProtocolVersion.V500);
        await using var onThree = await MqttNet.ConnectAsync(Nodes[2], "sub-three");
        await onTwo.SubscribeAsync("plant/+/temp", MqttQualityOfServiceLevel.ExactlyOnce);
        await onThree.SubscribeAsync("plant/#", MqttQualityOfServiceLevel.AtLeastOnce);
        await WhenRoutingAsync("plant/+/temp", "plant/#");

        await using var publisher = await MqttNet.ConnectAsync(Nodes[0], "pub-one");
        for (int i = 0; i < 20; i++)
        {
            await publisher.PublishAsync("plant/hall/temp", $"m{i}", qos);
        }

        foreach (var (subscriber, granted) in new[] { (onTwo, MqttQualityOfServiceLevel.ExactlyOnce), (onThree, MqttQualityOfServiceLevel.AtLeastOnce) })
        {
            for (int i = 0; i < 20; i++)
            {
                var message = subscriber.Next();
                Assert.Equal("plant/hall/temp", message.Topic);
                Assert.Equal($"m{i}", MqttNet.Text(message)); // in order, each once
                Assert.Equal((MqttQualityOfServiceLevel)Math.Min((int)qos, (int)granted), message.QualityOfServiceLevel);
            }

            Assert.Null(subscriber.Next(TimeSpan.FromMilliseconds(300)));
        }
    }

    [Fact]
    public async Task Wildcards_MatchAcrossNodes_ParentLevelAndDollarRule_MQTT_4_7_1_2_MQTT_4_7_2_1()
    {
        await using var all = await MqttNet.ConnectAsync(Nodes[1], "sub-all");
        await all.SubscribeAsync("#", MqttQualityOfServiceLevel.AtLeastOnce);
        await using var parent = await MqttNet.ConnectAsync(Nodes[2], "sub-parent");
        await parent.SubscribeAsync("sport/tennis/#", MqttQualityOfServiceLevel.AtLeastOnce);
        await WhenRoutingAsync("#", "sport/tennis/#");

        string port = Nodes[0].Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var (topic, text) in new[] { ("$internal/x", "hidden"), ("sport/tennis", "parent"), ("sport/tennis/odd level.with*dots>", "odd") })
        {
            var (code, _, error) = await Mosquitto.RunAsync("mosquitto_pub", ["-h", "127.0.0.1", "-p", port, "-t", topic, "-m", text, "-q", "1"], TimeSpan.FromSeconds(10));
            Assert.True(code == 0, error);
        }

        Assert.Equal(["sport/tennis", "sport/tennis/odd level.with*dots>"], new[] { all.Next(), all.Next() }.Select(m => m.Topic));
        Assert.Null(all.Next(TimeSpan.FromMilliseconds(300))); // "#" never matches a $ topic
        Assert.Equal(["parent", "odd"], new[] { parent.Next(), parent.Next() }.Select(MqttNet.Text));
    }

    [Fact]
    public async Task Retained_PublishedOnOneNode_IsServedByEveryNode_AndDeletedEverywhere_MQTT_3_3_1_10()
    {
        await using (var publisher = await MqttNet.ConnectAsync(Nodes[0], "retain-pub"))
        {
            await publisher.PublishAsync("status/line1", "running", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);
        }

        foreach (var node in Nodes.Skip(1))
        {
            await Poll.UntilAsync(() => Retained(node, "status/line1") == "running", "the retained message on every node");
        }

        string port = Nodes[2].Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var (_, output, _) = await Mosquitto.RunAsync("mosquitto_sub", ["-h", "127.0.0.1", "-p", port, "-t", "status/#", "-v", "-C", "1", "-W", "5"], TimeSpan.FromSeconds(10));
        Assert.Equal("status/line1 running", output.Trim());

        await using (var deleter = await MqttNet.ConnectAsync(Nodes[1], "retain-del"))
        {
            await deleter.Client.PublishAsync(new MQTTnet.MqttApplicationMessageBuilder().WithTopic("status/line1").WithRetainFlag().WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        }

        foreach (var node in Nodes)
        {
            await Poll.UntilAsync(() => Retained(node, "status/line1") is null, "the deletion on every node");
        }
    }

    [Fact]
    public async Task Retained_ANodeThatJoinsLater_FindsTheRetainedMessagesAndDeletionsOfTheStream_Before_It_Serves()
    {
        await using (var publisher = await MqttNet.ConnectAsync(Nodes[0], "late-pub"))
        {
            await publisher.PublishAsync("late/kept", "v1", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);
            await publisher.PublishAsync("late/kept", "v2", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);
            await publisher.PublishAsync("late/gone", "x", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);
            await publisher.Client.PublishAsync(new MQTTnet.MqttApplicationMessageBuilder().WithTopic("late/gone").WithRetainFlag().WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        }

        await Poll.UntilAsync(() => Retained(Nodes[2], "late/kept") == "v2" && Retained(Nodes[2], "late/gone") is null, "the retained messages on the running nodes");

        // A fourth node with an empty store joins now: the stream's last message per topic is its state as it starts.
        await using var late = await StartNodeAsync("node4");
        Assert.Equal("v2", Retained(late, "late/kept"));
        Assert.Null(Retained(late, "late/gone"));

        string port = late.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var (_, output, _) = await Mosquitto.RunAsync("mosquitto_sub", ["-h", "127.0.0.1", "-p", port, "-t", "late/#", "-v", "-C", "1", "-W", "5"], TimeSpan.FromSeconds(10));
        Assert.Equal("late/kept v2", output.Trim());

        // And it follows the stream from then on.
        await using (var publisher = await MqttNet.ConnectAsync(Nodes[1], "late-pub2"))
        {
            await publisher.PublishAsync("late/kept", "v3", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);
        }

        await Poll.UntilAsync(() => Retained(late, "late/kept") == "v3", "the newer retained message on the late node");
    }

    [Fact]
    public async Task Suback_OnOneNode_MeansAPublishOnAnotherRightAfterItArrives_MQTT_3_8_4_1()
    {
        await using var subscriber = await MqttNet.ConnectAsync(Nodes[1], "suback-sub");
        await using var publisher = await MqttNet.ConnectAsync(Nodes[0], "suback-pub");
        for (int i = 0; i < 20; i++)
        {
            // A filter no node held before: its NATS subscription is new. No waiting here but for the SUBACK.
            await subscriber.SubscribeAsync($"fresh/{i}/#", MqttQualityOfServiceLevel.AtMostOnce);
            await publisher.PublishAsync($"fresh/{i}/x", $"m{i}", MqttQualityOfServiceLevel.AtMostOnce);
            var message = subscriber.Next(TimeSpan.FromSeconds(2));
            Assert.True(message is not null, $"the publish after SUBACK {i} did not arrive");
            Assert.Equal($"m{i}", MqttNet.Text(message));
        }
    }

    [Fact]
    public async Task APublishNoOtherNodeWants_StaysOnItsNode_UntilAnotherSubscribes_AndAgainAfterItLeaves()
    {
        var cluster = Nodes[0].Services.GetRequiredService<NatsCluster>();
        await using var local = await MqttNet.ConnectAsync(Nodes[0], "local-sub");
        await local.SubscribeAsync("local/+", MqttQualityOfServiceLevel.AtLeastOnce);
        await using var publisher = await MqttNet.ConnectAsync(Nodes[0], "local-pub");
        long before = cluster.Totals.Sent;
        for (int i = 0; i < 50; i++)
        {
            await publisher.PublishAsync("local/a", $"m{i}", MqttQualityOfServiceLevel.AtLeastOnce);
        }

        for (int i = 0; i < 50; i++)
        {
            Assert.Equal($"m{i}", MqttNet.Text(local.Next()));
        }

        await Task.Delay(200);
        Assert.Equal(before, cluster.Totals.Sent); // nothing went to NATS: no other node holds a matching filter

        // Another node subscribes: once its SUBACK is back, node1 sends what matches [MQTT-3.8.4-1].
        await using var remote = await MqttNet.ConnectAsync(Nodes[2], "remote-sub");
        await remote.SubscribeAsync("local/#", MqttQualityOfServiceLevel.AtLeastOnce);
        await publisher.PublishAsync("local/a", "crossing", MqttQualityOfServiceLevel.AtLeastOnce);
        Assert.Equal("crossing", MqttNet.Text(remote.Next()));
        Assert.Equal("crossing", MqttNet.Text(local.Next()));
        await Poll.UntilAsync(() => cluster.Totals.Sent == before + 1, "node1 to count the one message it sent");

        // It leaves: node1 hears of it and keeps its traffic to itself again.
        await remote.Client.UnsubscribeAsync(new MQTTnet.MqttClientUnsubscribeOptionsBuilder().WithTopicFilter("local/#").Build());
        await Poll.UntilAsync(() => !Nodes[2].Services.GetRequiredService<NatsCluster>().IsRouting("local/#"), "node3 to drop local/#");
        // The removal reaches node1 without an acknowledgement: publish until a message stays home (5 s at most).
        bool stayed = false;
        for (int attempt = 0; attempt < 50 && !stayed; attempt++)
        {
            long sent = cluster.Totals.Sent;
            await publisher.PublishAsync("local/b", $"after{attempt}", MqttQualityOfServiceLevel.AtLeastOnce);
            Assert.Equal($"after{attempt}", MqttNet.Text(local.Next()));
            await Task.Delay(100); // a message that went to NATS is counted once NATS.Net took it
            stayed = cluster.Totals.Sent == sent;
        }

        Assert.True(stayed, "node1 still sends local/b to NATS after node3 unsubscribed");
    }

    [Fact]
    public async Task Unsubscribed_NodeGetsNothing_AndAFilterHeldTwiceStaysUntilBothGo()
    {
        await using var first = await MqttNet.ConnectAsync(Nodes[1], "twice-a");
        await using var second = await MqttNet.ConnectAsync(Nodes[1], "twice-b");
        await first.SubscribeAsync("dup/+", MqttQualityOfServiceLevel.AtLeastOnce);
        await second.SubscribeAsync("dup/+", MqttQualityOfServiceLevel.AtLeastOnce);
        await first.SubscribeAsync("dup/#", MqttQualityOfServiceLevel.AtLeastOnce); // overlaps: one copy still, per subscriber
        await WhenRoutingAsync("dup/+", "dup/#");
        await using var publisher = await MqttNet.ConnectAsync(Nodes[0], "dup-pub");
        await publisher.PublishAsync("dup/1", "one", MqttQualityOfServiceLevel.AtLeastOnce);
        Assert.Equal("one", MqttNet.Text(first.Next()));
        Assert.Null(first.Next(TimeSpan.FromMilliseconds(300))); // the broker sends one copy for overlapping subscriptions, and the node got one from NATS
        Assert.Equal("one", MqttNet.Text(second.Next()));

        await first.Client.UnsubscribeAsync(new MQTTnet.MqttClientUnsubscribeOptionsBuilder().WithTopicFilter("dup/+").Build());
        await first.Client.UnsubscribeAsync(new MQTTnet.MqttClientUnsubscribeOptionsBuilder().WithTopicFilter("dup/#").Build());
        var cluster = Nodes[1].Services.GetRequiredService<NatsCluster>();
        await Poll.UntilAsync(() => !cluster.IsRouting("dup/#"), "the last dup/# to leave NATS");
        Assert.True(cluster.IsRouting("dup/+")); // still held by the second client
        await publisher.PublishAsync("dup/2", "two", MqttQualityOfServiceLevel.AtLeastOnce);
        Assert.Equal("two", MqttNet.Text(second.Next())); // the node still holds dup/+ for the second client
        Assert.Null(first.Next(TimeSpan.FromMilliseconds(300)));
    }

    [Fact]
    public async Task Properties_CrossNodes_UserPropertiesContentTypeAndExpiry_MQTT_3_3_2_6()
    {
        await using var subscriber = await MqttNet.ConnectAsync(Nodes[2], "props-sub", MqttProtocolVersion.V500);
        await subscriber.SubscribeAsync("props/#", MqttQualityOfServiceLevel.AtLeastOnce);
        await WhenRoutingAsync("props/#");
        await using var publisher = await MqttNet.ConnectAsync(Nodes[0], "props-pub", MqttProtocolVersion.V500);
        await publisher.Client.PublishAsync(new MQTTnet.MqttApplicationMessageBuilder()
            .WithTopic("props/a").WithPayload("p").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithContentType("text/plain").WithUserProperty("origin", "node1"u8.ToArray()).WithMessageExpiryInterval(120).Build());
        var message = subscriber.Next();
        Assert.Equal("text/plain", message.ContentType);
        Assert.Contains(message.UserProperties, p => p.Name == "origin" && p.ReadValueAsString() == "node1");
        Assert.InRange(message.MessageExpiryInterval, 1u, 120u); // counted down, never past what was sent
    }

    [Fact]
    public void Subjects_EscapeWhatNatsCannotCarry_AndComeBack()
    {
        foreach (string topic in new[] { "a/b", "", "/", "a//b", "odd level.with*dots>", "~tilde", "ünï/cødé", "$SYS/broker", "a/+x" })
        {
            string subject = ClusterSubjects.ForTopic(topic);
            Assert.DoesNotContain(' ', subject);
            Assert.All(subject.Split('.'), token => Assert.NotEmpty(token));
            Assert.Equal(topic, ClusterSubjects.TopicOf(subject));
        }

        Assert.Equal(["starling.m.>"], ClusterSubjects.ForFilter("#"));
        Assert.Equal(["starling.m.a", "starling.m.a.>"], ClusterSubjects.ForFilter("a/#"));
        Assert.Equal(["starling.m.*.b"], ClusterSubjects.ForFilter("+/b"));
    }

    [Fact]
    public async Task Metrics_CountWhatCrosses_AndThePeersHeard_OnTheMonitorsPrometheusEndpoint()
    {
        await using var metered = await BrokerFixture.StartAsync(null, $"--Starling:Cluster:NatsUrl={Nats.Url}", "--Starling:Cluster:NodeName=node4", "--Starling:Monitor:Port=0");
        await using var subscriber = await MqttNet.ConnectAsync(Nodes[0], "metered-sub", MqttProtocolVersion.V500);
        await subscriber.SubscribeAsync("metered/#", MqttQualityOfServiceLevel.AtLeastOnce);
        await using var publisher = await MqttNet.ConnectAsync(metered, "metered-pub", MqttProtocolVersion.V500);
        for (int i = 0; i < 5; i++)
        {
            await publisher.PublishAsync($"metered/{i}", "x", MqttQualityOfServiceLevel.AtLeastOnce);
            subscriber.Next();
        }

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metered.PortOf("monitor")}/"), Timeout = TimeSpan.FromSeconds(10) };
        string text = await http.GetStringAsync("metrics");
        for (int attempt = 0; attempt < 50 && Value(text, "starling_cluster_peers") != 3; attempt++)
        {
            await Task.Delay(200); // it hears the others' heartbeats within a second
            text = await http.GetStringAsync("metrics");
        }

        Assert.True(Value(text, "starling_cluster_peers") == 3, text);
        Assert.True(Value(text, "starling_cluster_messages_sent_total") >= 5, text);
        Assert.Contains("# TYPE starling_cluster_sessions_taken_up_total counter", text, StringComparison.Ordinal);
        Assert.Contains("starling_cluster_send_backlog", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GarbageOnAMessageSubject_IsDropped_AndTheNodeGoesOnDelivering()
    {
        await using var subscriber = await MqttNet.ConnectAsync(Nodes[1], "junk-sub", MqttProtocolVersion.V500);
        await subscriber.SubscribeAsync("junk/#", MqttQualityOfServiceLevel.AtLeastOnce);
        await WhenRoutingAsync("junk/#");

        // Whatever else publishes on NATS (a buggy tool, another program) reaches node2's subscription: empty
        // payloads, random bytes, frames cut short, a well-formed frame around a message that is not one.
        byte[] origin = "nodeX"u8.ToArray();
        byte[] frameHeader = [1, (byte)origin.Length, .. origin, 1, 0, 0, 0, 0, 0, 0, 0];
        var random = new Random(15);
        List<byte[]> junk = [[], [1], [1, 255], [2, 0, 0, 0, 0, 0, 0, 0, 0, 0], frameHeader, [.. frameHeader, 1, 2, 3], [.. frameHeader, .. new byte[40]]];
        for (int i = 0; i < 20; i++)
        {
            var bytes = new byte[random.Next(1, 300)];
            random.NextBytes(bytes);
            junk.Add(bytes);
            junk.Add([.. frameHeader, .. bytes]);
        }

        await using (var nats = new NATS.Client.Core.NatsConnection(NATS.Client.Core.NatsOpts.Default with { Url = Nats.Url }))
        {
            foreach (var payload in junk)
            {
                await nats.PublishAsync("starling.m.junk.a", payload);
            }

            await nats.PingAsync();
        }

        await using var publisher = await MqttNet.ConnectAsync(Nodes[0], "junk-pub", MqttProtocolVersion.V500);
        await publisher.PublishAsync("junk/ok", "ok", MqttQualityOfServiceLevel.AtLeastOnce);
        var message = subscriber.Next();
        Assert.Equal("junk/ok", message.Topic);
        Assert.Equal("ok", MqttNet.Text(message));
        Assert.Null(subscriber.Next(TimeSpan.FromMilliseconds(500)));
    }

    /// <summary>The value of node4's series of <paramref name="metric"/> in Prometheus text.</summary>
    private static double Value(string text, string metric)
    {
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(metric, StringComparison.Ordinal) && (l.Length == metric.Length || l[metric.Length] is ' ' or '{') && l.Contains("node=\"node4\"", StringComparison.Ordinal));
        return line is null ? double.NaN : double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }
}

using System.Globalization;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Starling.Interop.Tests.Infrastructure;
using Starling.TestSupport;

namespace Starling.Interop.Tests.Cluster;

/// <summary>
/// The cluster as it is deployed: three starling-server processes and a nats-server, with clients nobody here wrote
/// (mosquitto_pub, MQTTnet). What the in-process cluster tests check in depth, checked once more across processes.
/// </summary>
public sealed class ClusterProcessTests : ClusterProcessTestBase
{
    [Fact]
    public async Task AcrossProcesses_QoS0_1_And2_MatchWildcardsOnTwoNodes_EachOnce_AcknowledgedOnesInOrder()
    {
        await using var plus = await MqttNet.ConnectAsync(Nodes[1], "proc-plus", MqttProtocolVersion.V500);
        await plus.SubscribeAsync("proc/+/x", MqttQualityOfServiceLevel.ExactlyOnce);
        await using var hash = await MqttNet.ConnectAsync(Nodes[2], "proc-hash", MqttProtocolVersion.V311);
        await hash.SubscribeAsync("proc/#", MqttQualityOfServiceLevel.ExactlyOnce);

        // The SUBACKs came after every node knew the filters [MQTT-3.8.4-1]: a publish on node1 now reaches both.
        var sent = new List<string>();
        for (int qos = 0; qos <= 2; qos++)
        {
            for (int i = 0; i < 5; i++)
            {
                string payload = $"q{qos}-{i}";
                var result = await Mosquitto.RunAsync("mosquitto_pub", ["-h", Nodes[0].Host, "-p", Port(Nodes[0]), "-V", "mqttv5", "-q", Text(qos), "-t", $"proc/q{qos}/x", "-m", payload], TimeSpan.FromSeconds(10));
                Assert.True(result.ExitCode == 0, result.Error);
                sent.Add(payload);
            }
        }

        await Mosquitto.RunAsync("mosquitto_pub", ["-h", Nodes[0].Host, "-p", Port(Nodes[0]), "-q", "1", "-t", "proc/deeper/level/y", "-m", "deep"], TimeSpan.FromSeconds(10));

        // Each message comes from its own mosquitto_pub. A QoS 1/2 one was routed before its acknowledgement let the
        // next process start, so those keep their order; QoS 0 ones from different clients have no order to keep.
        var viaPlus = Receive(plus, sent.Count).Select(m => MqttNet.Text(m)).ToList();
        Assert.Equal(sent.Order(StringComparer.Ordinal), viaPlus.Order(StringComparer.Ordinal));
        Assert.Equal(sent.Where(p => !p.StartsWith("q0", StringComparison.Ordinal)), viaPlus.Where(p => !p.StartsWith("q0", StringComparison.Ordinal)));
        var all = Receive(hash, sent.Count + 1);
        var viaHash = all.Select(m => MqttNet.Text(m)).ToList();
        Assert.Equal(sent.Append("deep").Order(StringComparer.Ordinal), viaHash.Order(StringComparer.Ordinal));
        Assert.Equal([.. sent.Where(p => !p.StartsWith("q0", StringComparison.Ordinal)), "deep"], viaHash.Where(p => !p.StartsWith("q0", StringComparison.Ordinal)));
        Assert.Equal(MqttQualityOfServiceLevel.ExactlyOnce, all.Single(m => MqttNet.Text(m) == "q2-4").QualityOfServiceLevel); // min(published 2, granted 2)
        Assert.Null(plus.Next(TimeSpan.FromMilliseconds(500))); // no second copy of anything
        Assert.Null(hash.Next(TimeSpan.FromMilliseconds(100)));
    }

    [Fact]
    public async Task SharedGroup_WithMembersInThreeProcesses_GetsEachMessageOnce()
    {
        var members = new List<MqttNet>();
        for (int i = 0; i < 3; i++)
        {
            var member = await MqttNet.ConnectAsync(Nodes[i], $"proc-member-{i}", MqttProtocolVersion.V500);
            await member.SubscribeAsync("$share/workers/proc/jobs", MqttQualityOfServiceLevel.AtLeastOnce);
            members.Add(member);
        }

        await using (var publisher = await MqttNet.ConnectAsync(Nodes[0], "proc-jobs", MqttProtocolVersion.V500))
        {
            for (int i = 0; i < 90; i++)
            {
                await publisher.PublishAsync("proc/jobs", Text(i), MqttQualityOfServiceLevel.AtLeastOnce);
            }
        }

        var got = new List<string>();
        await Poll.UntilAsync(
            () =>
            {
                foreach (var member in members)
                {
                    while (member.Next(TimeSpan.Zero) is { } message)
                    {
                        got.Add(MqttNet.Text(message));
                    }
                }

                return got.Count >= 90;
            },
            "90 jobs among the members");
        await Task.Delay(500);
        foreach (var member in members)
        {
            Assert.Null(member.Next(TimeSpan.Zero));
            await member.DisposeAsync();
        }

        Assert.Equal(Enumerable.Range(0, 90).Select(Text), got.OrderBy(int.Parse));
    }

    [Fact]
    public async Task RetainedMessage_PublishedInOneProcess_IsGivenToANewSubscriberInAnother_MQTT_3_3_1_6()
    {
        var result = await Mosquitto.RunAsync("mosquitto_pub", ["-h", Nodes[2].Host, "-p", Port(Nodes[2]), "-q", "1", "-r", "-t", "proc/status", "-m", "online"], TimeSpan.FromSeconds(10));
        Assert.Equal(0, result.ExitCode);

        // The retained stream reaches node1 asynchronously: a subscriber that comes a moment later gets it.
        string? got = null;
        for (int attempt = 0; attempt < 20 && got is null; attempt++)
        {
            await using var late = await MqttNet.ConnectAsync(Nodes[0], "proc-late", MqttProtocolVersion.V500);
            await late.SubscribeAsync("proc/status", MqttQualityOfServiceLevel.AtLeastOnce);
            if (late.Next(TimeSpan.FromMilliseconds(500)) is { } message)
            {
                Assert.True(message.Retain);
                got = MqttNet.Text(message);
            }
        }

        Assert.Equal("online", got);
    }

    [Fact]
    public async Task LiveSession_MovesBetweenProcesses_BothWays_ItsUnacknowledgedMessagesResentWithDup_MQTT_4_4_0_1()
    {
        await using var publisher = await MqttNet.ConnectAsync(Nodes[2], "proc-feed", MqttProtocolVersion.V500);
        var here = await MqttNet.ConnectAsync(Nodes[0], "proc-mover", MqttProtocolVersion.V500, cleanSession: false);
        here.AutoAcknowledge = false;
        await here.SubscribeAsync("proc/feed", MqttQualityOfServiceLevel.AtLeastOnce);

        foreach (int target in new[] { 1, 0 })
        {
            for (int i = 0; i < 3; i++)
            {
                await publisher.PublishAsync("proc/feed", $"to{target}-{i}", MqttQualityOfServiceLevel.AtLeastOnce);
            }

            var unacknowledged = Receive(here, 3).Select(m => MqttNet.Text(m)).ToList();

            var there = await ResumeAsync(Nodes[target], "proc-mover");
            var closed = await here.Disconnected.Task.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(MqttClientDisconnectReason.SessionTakenOver, closed.Reason); // [MQTT-3.1.4-3]

            var resent = Receive(there, 3);
            Assert.Equal(unacknowledged, resent.Select(m => MqttNet.Text(m)));
            Assert.All(resent, m => Assert.True(m.Dup));
            await here.DisposeAsync();
            here = there;
            here.AutoAcknowledge = target == 1 ? false : true;
        }

        await here.DisposeAsync();
    }

    private static List<MqttApplicationMessage> Receive(MqttNet client, int count) =>
        [.. Enumerable.Range(0, count).Select(_ => client.Next(TimeSpan.FromSeconds(10)) ?? throw new TimeoutException($"fewer than {count} messages"))];

    private static string Port(ServerProcess node) => Text(node.Port);

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}

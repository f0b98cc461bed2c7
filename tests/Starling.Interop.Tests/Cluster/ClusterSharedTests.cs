using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Starling.Interop.Tests.Infrastructure;

namespace Starling.Interop.Tests.Cluster;

/// <summary>
/// Shared subscriptions across three nodes on a real nats-server: a group's members may sit on any node, and each
/// message matching the group goes to exactly one member cluster-wide (5.0 section 4.8.2), while non-shared
/// subscribers and other groups get their own copies. Clients are MQTTnet (5.0) and mosquitto_sub.
/// </summary>
public sealed class ClusterSharedTests : ClusterTestBase
{
    private const int Messages = 300;

    [Fact]
    public async Task SharedGroup_WithMembersOnEveryNode_GetsEachMessageOnce_ClusterWide_MQTT_4_8_2()
    {
        var members = new List<MqttNet>();
        for (int i = 0; i < 3; i++)
        {
            var member = await MqttNet.ConnectAsync(Nodes[i], $"worker-{i}", MqttProtocolVersion.V500);
            await member.SubscribeAsync("$share/workers/jobs/#", MqttQualityOfServiceLevel.AtLeastOnce);
            members.Add(member);
        }

        await using var everything = await MqttNet.ConnectAsync(Nodes[1], "audit", MqttProtocolVersion.V500);
        await everything.SubscribeAsync("jobs/#", MqttQualityOfServiceLevel.AtLeastOnce);
        try
        {
            await using var publisher = await MqttNet.ConnectAsync(Nodes[0], "dispatcher", MqttProtocolVersion.V500);
            for (int i = 0; i < Messages; i++)
            {
                await publisher.PublishAsync($"jobs/{i % 7}", i.ToString(System.Globalization.CultureInfo.InvariantCulture), MqttQualityOfServiceLevel.AtLeastOnce);
            }

            var byMember = await DrainAsync(members, Messages);
            var all = byMember.SelectMany(m => m).ToList();
            Assert.Equal(Messages, all.Count); // none twice (one node each, one member on it) and none lost
            Assert.Equal(Enumerable.Range(0, Messages).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).Order(), all.Order());
            Assert.True(byMember.Count(m => m.Count > 0) >= 2, "NATS spread the group over the nodes: " + string.Join(", ", byMember.Select(m => m.Count)));

            // The non-shared subscriber on node2 still gets every message, beside the group.
            for (int i = 0; i < Messages; i++)
            {
                Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), MqttNet.Text(everything.Next()));
            }
        }
        finally
        {
            foreach (var member in members)
            {
                await member.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task TwoGroupsAtOneFilter_EachGetEveryMessageOnce_WhereverItIsPublished()
    {
        // Group "a": two members on node2. Group "b": one member on node3 and one mosquitto_sub on node1.
        await using var a1 = await MqttNet.ConnectAsync(Nodes[1], "a1", MqttProtocolVersion.V500);
        await using var a2 = await MqttNet.ConnectAsync(Nodes[1], "a2", MqttProtocolVersion.V500);
        await using var b1 = await MqttNet.ConnectAsync(Nodes[2], "b1", MqttProtocolVersion.V500);
        await a1.SubscribeAsync("$share/a/metrics/+", MqttQualityOfServiceLevel.AtLeastOnce);
        await a2.SubscribeAsync("$share/a/metrics/+", MqttQualityOfServiceLevel.AtLeastOnce);
        await b1.SubscribeAsync("$share/b/metrics/+", MqttQualityOfServiceLevel.AtLeastOnce);
        string port1 = Nodes[0].Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var b2 = Mosquitto.StartSub(["-h", "127.0.0.1", "-p", port1, "-V", "5", "-i", "b2", "-t", "$share/b/metrics/+", "-q", "1", "-W", "30"]);
        var fromB2 = new ConcurrentQueue<string>();
        b2.OutputDataReceived += (_, e) =>
        {
            if (!string.IsNullOrEmpty(e.Data))
            {
                fromB2.Enqueue(e.Data);
            }
        };
        b2.BeginOutputReadLine();
        await WhenRoutingAsync("$share/a/metrics/+", "$share/b/metrics/+");
        await Poll.UntilAsync(() => Nodes[0].Broker.Clients().Any(c => c.ClientId == "b2"), "mosquitto_sub to connect");
        await Poll.UntilAsync(() => Nodes[0].Services.GetRequiredService<Starling.Cluster.NatsCluster>().IsRouting("$share/b/metrics/+"), "node1's member of b in NATS");

        // Published on each node in turn: each holds members of a group, node1 none of group a.
        await using var on1 = await MqttNet.ConnectAsync(Nodes[0], "pub1", MqttProtocolVersion.V500);
        await using var on2 = await MqttNet.ConnectAsync(Nodes[1], "pub2", MqttProtocolVersion.V500);
        await using var on3 = await MqttNet.ConnectAsync(Nodes[2], "pub3", MqttProtocolVersion.V500);
        var publishers = new[] { on1, on2, on3 };
        for (int i = 0; i < Messages; i++)
        {
            await publishers[i % 3].PublishAsync($"metrics/{i % 5}", i.ToString(System.Globalization.CultureInfo.InvariantCulture), MqttQualityOfServiceLevel.AtLeastOnce);
        }

        var expected = Enumerable.Range(0, Messages).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).Order().ToList();
        var groupA = (await DrainAsync([a1, a2], Messages)).SelectMany(m => m).Order().ToList();
        Assert.Equal(expected, groupA);
        var fromB1 = (await DrainAsync([b1], Messages, () => fromB2.Count)).Single();
        var groupB = fromB1.Concat(fromB2).Order().ToList();
        Assert.Equal(expected, groupB);
    }

    /// <summary>Takes what <paramref name="members"/> receive until <paramref name="expected"/> arrived in all, then 500 ms more for any extra.</summary>
    private static async Task<List<List<string>>> DrainAsync(List<MqttNet> members, int expected, Func<int>? elsewhere = null)
    {
        var byMember = members.Select(_ => new List<string>()).ToList();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        var quietSince = DateTime.MaxValue;
        while (DateTime.UtcNow < deadline)
        {
            bool any = false;
            for (int i = 0; i < members.Count; i++)
            {
                while (members[i].Next(TimeSpan.Zero) is { } message)
                {
                    byMember[i].Add(MqttNet.Text(message));
                    any = true;
                }
            }

            int total = byMember.Sum(m => m.Count) + (elsewhere?.Invoke() ?? 0);
            if (total >= expected)
            {
                quietSince = any ? DateTime.UtcNow : (quietSince == DateTime.MaxValue ? DateTime.UtcNow : quietSince);
                if (DateTime.UtcNow - quietSince > TimeSpan.FromMilliseconds(500))
                {
                    break;
                }
            }

            await Task.Delay(20);
        }

        return byMember;
    }
}

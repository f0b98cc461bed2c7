using Starling.Broker.Routing;
using Starling.Mqtt;

namespace Starling.Broker.Tests.Routing;

/// <summary>Checks the trie against the reference <see cref="MqttTopic.Matches"/> over random filters and topics.</summary>
public class TopicTreeRandomizedTests
{
    // A small alphabet so that random filters and topics collide often; "" and "$SYS" cover empty levels
    // and [MQTT-4.7.2-1].
    private static readonly string[] s_levels = ["a", "b", "c", "", "$SYS", "\u00e9"];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Match_AgreesWithReferenceMatches_MQTT_4_7_1_2_MQTT_4_7_1_3_MQTT_4_7_2_1(int seed)
    {
        var random = new Random(seed);
        var tree = new TopicTree<TestSubscription>();
        var filters = new List<(string Filter, string ClientId)>();
        for (int i = 0; i < 400; i++)
        {
            string filter = RandomFilter(random);
            string clientId = $"c{i}";
            Assert.True(MqttTopic.IsValidTopicFilter(filter), filter);
            tree.AddOrReplace(filter, new TestSubscription(clientId), out _);
            filters.Add((filter, clientId));
        }

        // Remove a share of them so that pruned branches are exercised too.
        for (int i = 0; i < 100; i++)
        {
            int at = random.Next(filters.Count);
            Assert.True(tree.Remove(filters[at].Filter, filters[at].ClientId, null, out _));
            filters.RemoveAt(at);
        }

        Assert.Equal(filters.Count, tree.Count);
        for (int i = 0; i < 2000; i++)
        {
            string topic = RandomTopic(random);
            string[] expected = [.. filters.Where(f => MqttTopic.Matches(f.Filter, topic)).Select(f => f.ClientId).Order(StringComparer.Ordinal)];
            Assert.Equal(expected, tree.MatchIds(topic));
        }
    }

    private static string RandomTopic(Random random)
    {
        int depth = random.Next(1, 5);
        string topic = string.Join('/', Enumerable.Range(0, depth).Select(_ => s_levels[random.Next(s_levels.Length)]));

        // A topic name or filter is at least one character [MQTT-4.7.3-1].
        return topic.Length == 0 ? "/" : topic;
    }

    private static string RandomFilter(Random random)
    {
        int depth = random.Next(1, 5);
        var levels = new List<string>();
        for (int i = 0; i < depth; i++)
        {
            int pick = random.Next(s_levels.Length + 2);
            levels.Add(pick < s_levels.Length ? s_levels[pick] : "+");
        }

        if (random.Next(4) == 0)
        {
            levels[^1] = "#";
        }

        string filter = string.Join('/', levels);
        return filter.Length == 0 ? "/" : filter;
    }
}

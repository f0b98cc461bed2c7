using Starling.Broker.Routing;
using Starling.Mqtt;

namespace Starling.Broker.Tests.Routing;

public class RetainedTreeTests
{
    private static RetainedTree<string> Build(params string[] topics)
    {
        var tree = new RetainedTree<string>();
        foreach (string topic in topics)
        {
            tree.Set(topic, topic);
        }

        return tree;
    }

    private static string[] MatchSorted(RetainedTree<string> tree, string filter)
    {
        var results = new List<string>();
        tree.Match(filter, results);
        return [.. results.Order(StringComparer.Ordinal)];
    }

    [Fact]
    public void SetTryGetRemove_ByExactTopic()
    {
        var tree = new RetainedTree<string>();
        tree.Set("a/b", "v1");
        tree.Set("a/b", "v2");

        Assert.Equal(1, tree.Count);
        Assert.True(tree.TryGet("a/b", out string? value));
        Assert.Equal("v2", value);
        Assert.False(tree.TryGet("a", out _));
        Assert.False(tree.TryGet("a/b/c", out _));

        Assert.True(tree.Remove("a/b"));
        Assert.False(tree.Remove("a/b"));
        Assert.False(tree.TryGet("a/b", out value));
        Assert.Null(value);
        Assert.Equal(0, tree.Count);
    }

    [Fact]
    public void Remove_PrunesEmptyNodesButKeepsValuedParents()
    {
        RetainedTree<string> tree = Build("a", "a/b/c", "x/y");
        Assert.Equal(5, tree.CountNodes());

        Assert.True(tree.Remove("a/b/c"));
        Assert.Equal(3, tree.CountNodes());
        Assert.True(tree.TryGet("a", out _));
        Assert.False(tree.Remove("a/b"));

        Assert.True(tree.Remove("a"));
        Assert.True(tree.Remove("x/y"));
        Assert.Equal(0, tree.CountNodes());
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/+")]
    [InlineData("a/#")]
    public void Set_InvalidTopicName_Throws_MQTT_4_7_1_1_MQTT_4_7_3_1(string topic)
    {
        Assert.Throws<ArgumentException>(() => new RetainedTree<string>().Set(topic, "v"));
    }

    [Fact]
    public void Match_Exact()
    {
        RetainedTree<string> tree = Build("a/b", "a/b/c", "a");

        Assert.Equal(["a/b"], MatchSorted(tree, "a/b"));
        Assert.Empty(MatchSorted(tree, "a/c"));
    }

    [Fact]
    public void Match_SingleLevelWildcard_MQTT_4_7_1_3()
    {
        RetainedTree<string> tree = Build("a/b", "a/c", "a/b/c", "a", "a/");

        Assert.Equal(["a/", "a/b", "a/c"], MatchSorted(tree, "a/+"));
        Assert.Equal(["a/b/c"], MatchSorted(tree, "+/+/c"));
        Assert.Equal(["a"], MatchSorted(tree, "+"));
    }

    [Fact]
    public void Match_MultiLevelWildcard_IncludesParent_MQTT_4_7_1_2()
    {
        RetainedTree<string> tree = Build("a", "a/b", "a/b/c", "b/c");

        Assert.Equal(["a", "a/b", "a/b/c"], MatchSorted(tree, "a/#"));
        Assert.Equal(["a/b", "a/b/c"], MatchSorted(tree, "a/b/#"));
        Assert.Equal(["a", "a/b", "a/b/c", "b/c"], MatchSorted(tree, "#"));
        Assert.Equal(["a", "a/b", "a/b/c", "b/c"], MatchSorted(tree, "+/#"));
    }

    [Fact]
    public void Match_WildcardsAtFirstLevel_SkipDollarTopics_MQTT_4_7_2_1()
    {
        RetainedTree<string> tree = Build("$SYS/uptime", "$SYS/clients/count", "sys/uptime", "a/$b");

        Assert.Equal(["a/$b", "sys/uptime"], MatchSorted(tree, "#"));
        Assert.Equal(["sys/uptime"], MatchSorted(tree, "+/uptime"));
        Assert.Equal(["$SYS/uptime"], MatchSorted(tree, "$SYS/+"));
        Assert.Equal(["$SYS/clients/count", "$SYS/uptime"], MatchSorted(tree, "$SYS/#"));
        Assert.Equal(["a/$b"], MatchSorted(tree, "a/+"));
    }

    [Fact]
    public void Match_EmptyLevels_AreRealLevels()
    {
        RetainedTree<string> tree = Build("a//b", "/a", "a/b", "/");

        Assert.Equal(["a//b"], MatchSorted(tree, "a//b"));
        Assert.Equal(["a//b", "a/b"], MatchSorted(tree, "a/#").Where(t => t != "a").ToArray());
        Assert.Equal(["/", "/a", "a/b"], MatchSorted(tree, "+/+"));
        Assert.Equal(["/", "/a"], MatchSorted(tree, "/#"));
    }

    [Fact]
    public void Match_AgreesWithReferenceMatches()
    {
        var random = new Random(7);
        string[] levels = ["a", "b", "", "$SYS"];
        var topics = new HashSet<string>(StringComparer.Ordinal);
        var tree = new RetainedTree<string>();
        for (int i = 0; i < 300; i++)
        {
            string topic = string.Join('/', Enumerable.Range(0, random.Next(1, 5)).Select(_ => levels[random.Next(levels.Length)]));
            if (topic.Length == 0)
            {
                continue; // a topic is at least one character [MQTT-4.7.3-1]
            }

            topics.Add(topic);
            tree.Set(topic, topic);
        }

        Assert.Equal(topics.Count, tree.Count);
        string[] filterLevels = [.. levels, "+"];
        for (int i = 0; i < 500; i++)
        {
            var parts = Enumerable.Range(0, random.Next(1, 5)).Select(_ => filterLevels[random.Next(filterLevels.Length)]).ToList();
            if (random.Next(3) == 0)
            {
                parts[^1] = "#";
            }

            string filter = string.Join('/', parts);
            if (filter.Length == 0)
            {
                continue;
            }

            string[] expected = [.. topics.Where(t => MqttTopic.Matches(filter, t)).Order(StringComparer.Ordinal)];
            Assert.Equal(expected, MatchSorted(tree, filter));
        }
    }

    [Fact]
    public void ConcurrentSetRemoveAndMatch_DoNotThrow()
    {
        var tree = new RetainedTree<string>();
        Parallel.For(0, 4, worker =>
        {
            var results = new List<string>();
            for (int i = 0; i < 2000; i++)
            {
                string topic = $"w{worker}/{i % 13}/{i % 7}";
                tree.Set(topic, topic);
                results.Clear();
                tree.Match($"w{worker}/#", results);
                Assert.Contains(topic, results);
                tree.Remove(topic);
            }
        });

        Assert.Equal(0, tree.Count);
        Assert.Equal(0, tree.CountNodes());
    }
}

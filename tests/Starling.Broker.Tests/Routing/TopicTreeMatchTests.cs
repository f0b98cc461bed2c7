using Starling.Broker.Routing;

namespace Starling.Broker.Tests.Routing;

public class TopicTreeMatchTests
{
    [Fact]
    public void ExactFilter_MatchesOnlyTheSameTopic()
    {
        var tree = new TopicTree<TestSubscription>();
        tree.Add("sport/tennis/player1", "c1");

        Assert.Equal(["c1"], tree.MatchIds("sport/tennis/player1"));
        Assert.Empty(tree.Match("sport/tennis"));
        Assert.Empty(tree.Match("sport/tennis/player1/ranking"));
        Assert.Empty(tree.Match("sport/tennis/player2"));
        Assert.Empty(tree.Match("Sport/tennis/player1"));
    }

    [Fact]
    public void SingleLevelWildcard_MatchesExactlyOneLevel_MQTT_4_7_1_3()
    {
        var tree = new TopicTree<TestSubscription>();
        tree.Add("sport/tennis/+", "c1");
        tree.Add("sport/+", "c2");
        tree.Add("+/+", "c3");
        tree.Add("+", "c4");

        Assert.Equal(["c1"], tree.MatchIds("sport/tennis/player1"));
        Assert.Empty(tree.Match("sport/tennis/player1/ranking"));
        Assert.Equal(["c2", "c3"], tree.MatchIds("sport/tennis"));
        Assert.Equal(["c4"], tree.MatchIds("sport"));

        // "sport/+" does not match "sport" but does match "sport/".
        Assert.Equal(["c2", "c3"], tree.MatchIds("sport/"));
    }

    [Fact]
    public void MultiLevelWildcard_MatchesAllDescendants_MQTT_4_7_1_2()
    {
        var tree = new TopicTree<TestSubscription>();
        tree.Add("sport/tennis/player1/#", "c1");
        tree.Add("#", "c2");

        Assert.Equal(["c1", "c2"], tree.MatchIds("sport/tennis/player1/ranking"));
        Assert.Equal(["c1", "c2"], tree.MatchIds("sport/tennis/player1/score/wimbledon"));
        Assert.Equal(["c2"], tree.MatchIds("sport/tennis/player2"));
        Assert.Equal(["c2"], tree.MatchIds("/"));
    }

    [Fact]
    public void MultiLevelWildcard_MatchesTheParentLevel_MQTT_4_7_1_2()
    {
        var tree = new TopicTree<TestSubscription>();
        tree.Add("a/#", "c1");
        tree.Add("+/#", "c2");
        tree.Add("a/b/#", "c3");

        Assert.Equal(["c1", "c2"], tree.MatchIds("a"));
        Assert.Equal(["c1", "c2", "c3"], tree.MatchIds("a/b"));
        Assert.Equal(["c2"], tree.MatchIds("b"));
    }

    [Fact]
    public void WildcardsAtFirstLevel_DoNotMatchDollarTopics_MQTT_4_7_2_1()
    {
        var tree = new TopicTree<TestSubscription>();
        tree.Add("#", "hash");
        tree.Add("+/monitor/Clients", "plus");
        tree.Add("+/#", "plusHash");
        tree.Add("$SYS/#", "sysHash");
        tree.Add("$SYS/monitor/+", "sysPlus");
        tree.Add("$SYS/monitor/Clients", "sysExact");

        Assert.Equal(["sysExact", "sysHash", "sysPlus"], tree.MatchIds("$SYS/monitor/Clients"));
        Assert.Equal(["sysHash"], tree.MatchIds("$SYS"));
        Assert.Equal(["hash", "plus", "plusHash"], tree.MatchIds("SYS/monitor/Clients"));
    }

    [Fact]
    public void DollarRule_AppliesToTheFirstLevelOnly_MQTT_4_7_2_1()
    {
        var tree = new TopicTree<TestSubscription>();
        tree.Add("a/+", "plus");
        tree.Add("a/#", "hash");

        Assert.Equal(["hash", "plus"], tree.MatchIds("a/$x"));
    }

    [Fact]
    public void EmptyLevels_AreRealLevels()
    {
        var tree = new TopicTree<TestSubscription>();
        tree.Add("a//b", "exact");
        tree.Add("a/+/b", "plus");
        tree.Add("/a", "leadingSlash");
        tree.Add("+/a", "plusA");
        tree.Add("a/", "trailing");
        tree.Add("a/+", "aPlus");

        Assert.Equal(["exact", "plus"], tree.MatchIds("a//b"));
        Assert.Equal(["aPlus"], tree.MatchIds("a/b"));
        Assert.Equal(["leadingSlash", "plusA"], tree.MatchIds("/a"));
        Assert.Equal(["aPlus", "trailing"], tree.MatchIds("a/"));
        Assert.Empty(tree.Match("a"));
    }

    [Fact]
    public void OverlappingFilters_ReturnOneEntryPerMatchingFilter()
    {
        var tree = new TopicTree<TestSubscription>();
        tree.Add("a/b", "c1");
        tree.Add("a/+", "c1");
        tree.Add("a/#", "c1");
        tree.Add("#", "c2");

        // The caller merges a client's overlapping subscriptions; the tree reports each one.
        Assert.Equal(["c1", "c1", "c1", "c2"], tree.MatchIds("a/b"));
    }

    [Fact]
    public void Match_AppendsWithoutClearing()
    {
        var tree = new TopicTree<TestSubscription>();
        TestSubscription s = tree.Add("a", "c1");
        var results = new List<TestSubscription> { s };

        tree.Match("a"u8, results);

        Assert.Equal([s, s], results);
    }

    [Fact]
    public void Match_IsByUtf8Bytes()
    {
        var tree = new TopicTree<TestSubscription>();
        tree.Add("caf\u00e9/+", "c1");

        Assert.Equal(["c1"], tree.MatchIds("caf\u00e9/\u00fcber"));
        Assert.Empty(tree.Match("cafe/x"));
    }
}

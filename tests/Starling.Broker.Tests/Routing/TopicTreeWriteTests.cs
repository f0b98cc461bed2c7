using Starling.Broker.Routing;

namespace Starling.Broker.Tests.Routing;

public class TopicTreeWriteTests
{
    [Fact]
    public void AddOrReplace_SameClientAndFilter_Replaces_MQTT_3_8_4_3()
    {
        var tree = new TopicTree<TestSubscription>();
        var first = new TestSubscription("c1");
        var second = new TestSubscription("c1");

        Assert.True(tree.AddOrReplace("a/b", first, out TestSubscription? replaced));
        Assert.Null(replaced);
        Assert.False(tree.AddOrReplace("a/b", second, out replaced));
        Assert.Same(first, replaced);

        Assert.Equal(1, tree.Count);
        Assert.Same(second, Assert.Single(tree.Match("a/b")));
    }

    [Fact]
    public void AddOrReplace_SameClientInAndOutOfAGroup_AreDistinctEntries()
    {
        var tree = new TopicTree<TestSubscription>();
        Assert.True(tree.AddOrReplace("a", new TestSubscription("c1"), out _));
        Assert.True(tree.AddOrReplace("a", new TestSubscription("c1", "g1"), out _));
        Assert.True(tree.AddOrReplace("a", new TestSubscription("c1", "g2"), out _));
        Assert.False(tree.AddOrReplace("a", new TestSubscription("c1", "g1"), out TestSubscription? replaced));

        Assert.Equal("g1", replaced?.ShareGroup);
        Assert.Equal(3, tree.Count);
        Assert.Equal(3, tree.Match("a").Count);
    }

    [Fact]
    public void AddOrReplace_SameClientOtherFilter_Adds()
    {
        var tree = new TopicTree<TestSubscription>();
        tree.Add("a/b", "c1");
        tree.Add("a/+", "c1");

        Assert.Equal(2, tree.Count);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/#/b")]
    [InlineData("a#")]
    [InlineData("a/b+")]
    [InlineData("a\0b")]
    public void AddOrReplace_InvalidFilter_Throws_MQTT_4_7_1_2_MQTT_4_7_1_3_MQTT_4_7_3_1(string filter)
    {
        var tree = new TopicTree<TestSubscription>();

        Assert.Throws<ArgumentException>(() => tree.AddOrReplace(filter, new TestSubscription("c1"), out _));
        Assert.Equal(0, tree.Count);
        Assert.Equal(0, tree.CountNodes());
    }

    [Fact]
    public void Remove_RemovesOnlyThatEntry()
    {
        var tree = new TopicTree<TestSubscription>();
        TestSubscription c1 = tree.Add("a/b", "c1");
        tree.Add("a/b", "c2");
        tree.Add("a/b", "c1", "g");

        Assert.True(tree.Remove("a/b", "c1", null, out TestSubscription? removed));
        Assert.Same(c1, removed);
        Assert.Equal(["c1", "c2"], tree.MatchIds("a/b"));
        Assert.Equal(2, tree.Count);

        Assert.False(tree.Remove("a/b", "c1", null, out removed));
        Assert.Null(removed);
        Assert.False(tree.Remove("a/b", "c3", null, out _));
        Assert.False(tree.Remove("a/c", "c2", null, out _));
        Assert.False(tree.Remove("a/b", "c2", "g", out _));
        Assert.Equal(2, tree.Count);
    }

    [Fact]
    public void Remove_PrunesEmptyNodes()
    {
        var tree = new TopicTree<TestSubscription>();
        tree.Add("a/b", "keep");
        tree.Add("a/b/c/d", "c1");
        tree.Add("a/+/#", "c2");
        tree.Add("x/y", "c3", "g");
        Assert.Equal(8, tree.CountNodes()); // a, b, c, d, +, #, x, y

        Assert.True(tree.Remove("a/b/c/d", "c1", null, out _));
        Assert.Equal(6, tree.CountNodes());
        Assert.True(tree.Remove("a/+/#", "c2", null, out _));
        Assert.Equal(4, tree.CountNodes());
        Assert.True(tree.Remove("x/y", "c3", "g", out _));
        Assert.Equal(2, tree.CountNodes());
        Assert.Equal(["keep"], tree.MatchIds("a/b"));

        Assert.True(tree.Remove("a/b", "keep", null, out _));
        Assert.Equal(0, tree.CountNodes());
        Assert.Equal(0, tree.Count);
        Assert.Empty(tree.Match("a/b"));
    }

    [Fact]
    public void Remove_AfterPrune_FilterCanBeAddedAgain()
    {
        var tree = new TopicTree<TestSubscription>();
        tree.Add("a/b", "c1");
        tree.Remove("a/b", "c1", null, out _);
        tree.Add("a/b", "c1");

        Assert.Equal(["c1"], tree.MatchIds("a/b"));
    }
}

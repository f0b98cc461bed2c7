using Starling.Broker.Routing;

namespace Starling.Broker.Tests.Routing;

public class TopicTreeSharedTests
{
    [Fact]
    public void SharedGroup_DeliversToOneMemberRoundRobin_MQTT_4_8_2()
    {
        var tree = new TopicTree<TestSubscription>();
        tree.Add("sensors/+", "m1", "g");
        tree.Add("sensors/+", "m2", "g");
        tree.Add("sensors/+", "m3", "g");

        var picks = new List<string>();
        for (int i = 0; i < 300; i++)
        {
            picks.Add(Assert.Single(tree.Match("sensors/t")).ClientId);
        }

        // Every window of three consecutive messages reaches each member once.
        for (int i = 0; i + 3 <= picks.Count; i++)
        {
            Assert.Equal(3, picks.Skip(i).Take(3).Distinct().Count());
        }

        Assert.All(picks.CountBy(p => p), kv => Assert.Equal(100, kv.Value));
    }

    [Fact]
    public void SharedGroup_PrefersOnlineMembers()
    {
        var tree = new TopicTree<TestSubscription>();
        tree.Add("a", "m1", "g");
        TestSubscription m2 = tree.Add("a", "m2", "g");
        tree.Add("a", "m3", "g");
        m2.IsOnline = false;

        var picks = new List<string>();
        for (int i = 0; i < 300; i++)
        {
            picks.Add(Assert.Single(tree.Match("a")).ClientId);
        }

        Assert.DoesNotContain("m2", picks);
        Assert.Equal(150, picks.Count(p => p == "m1"));
        Assert.Equal(150, picks.Count(p => p == "m3"));
        for (int i = 1; i < picks.Count; i++)
        {
            Assert.NotEqual(picks[i - 1], picks[i]);
        }
    }

    [Fact]
    public void SharedGroup_AllOffline_StillPicksRoundRobin()
    {
        var tree = new TopicTree<TestSubscription>();
        TestSubscription[] members = [tree.Add("a", "m1", "g"), tree.Add("a", "m2", "g"), tree.Add("a", "m3", "g")];
        foreach (TestSubscription member in members)
        {
            member.IsOnline = false;
        }

        var picks = new List<string>();
        for (int i = 0; i < 30; i++)
        {
            picks.Add(Assert.Single(tree.Match("a")).ClientId);
        }

        Assert.All(picks.CountBy(p => p), kv => Assert.Equal(10, kv.Value));
    }

    [Fact]
    public void SharedGroups_EachMatchingSharedSubscriptionDeliversOnce()
    {
        var tree = new TopicTree<TestSubscription>();
        tree.Add("a/b", "m1", "g1");
        tree.Add("a/b", "m2", "g1");
        tree.Add("a/b", "m3", "g2");
        tree.Add("a/+", "m4", "g1");
        tree.Add("a/b", "plain");

        List<TestSubscription> results = tree.Match("a/b");

        // g1 at "a/b", g2 at "a/b", g1 at "a/+" are three shared subscriptions; plus the non-shared one.
        Assert.Equal(4, results.Count);
        Assert.Single(results, s => s.ShareGroup is null);
        Assert.Single(results, s => s.ShareGroup == "g2");
        Assert.Single(results, s => s.ClientId == "m4");
        Assert.Single(results, s => s.ClientId is "m1" or "m2");
    }

    [Fact]
    public void SharedGroup_RemovingMembers_KeepsTheRestAndDropsTheEmptyGroup()
    {
        var tree = new TopicTree<TestSubscription>();
        tree.Add("a", "m1", "g");
        tree.Add("a", "m2", "g");

        Assert.True(tree.Remove("a", "m1", "g", out _));
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal("m2", Assert.Single(tree.Match("a")).ClientId);
        }

        Assert.True(tree.Remove("a", "m2", "g", out _));
        Assert.Empty(tree.Match("a"));
        Assert.Equal(0, tree.CountNodes());
    }
}

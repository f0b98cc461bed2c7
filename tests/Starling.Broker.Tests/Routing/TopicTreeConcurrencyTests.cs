using System.Collections.Concurrent;
using System.Text;
using Starling.Broker.Routing;

namespace Starling.Broker.Tests.Routing;

public class TopicTreeConcurrencyTests
{
    private const int StableCount = 50;

    [Fact]
    public void Match_WhileWritersAddAndRemove_SeesStableSubscriptionsAndEndsConsistent()
    {
        var tree = new TopicTree<TestSubscription>();
        var reference = new TopicTree<TestSubscription>();
        foreach (TopicTree<TestSubscription> t in new[] { tree, reference })
        {
            for (int i = 0; i < StableCount; i++)
            {
                t.Add("stable/+/x", $"s{i}");
            }

            t.Add("stable/a/x", "g1", "group");
            t.Add("stable/a/x", "g2", "group");
            t.Add("stable/a/x", "g3", "group");
        }

        var failures = new ConcurrentQueue<Exception>();
        int writersLeft = 2;
        var threads = new List<Thread>();
        for (int w = 0; w < 2; w++)
        {
            int writer = w;
            threads.Add(new Thread(() => Run(failures, () =>
            {
                try
                {
                    Write(tree, writer);
                }
                finally
                {
                    Interlocked.Decrement(ref writersLeft);
                }
            })));
        }

        for (int r = 0; r < 2; r++)
        {
            threads.Add(new Thread(() => Run(failures, () =>
            {
                byte[] topic = Encoding.UTF8.GetBytes("stable/a/x");
                var results = new List<TestSubscription>();
                while (Volatile.Read(ref writersLeft) > 0)
                {
                    results.Clear();
                    tree.Match(topic, results);

                    // Stable entries are never touched, so every match sees all of them and one group member,
                    // whatever the writers are doing next to them.
                    Assert.Equal(StableCount, results.Count(s => s.ClientId.StartsWith('s')));
                    Assert.Equal(1, results.Count(s => s.ShareGroup == "group"));
                }
            })));
        }

        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Empty(failures);
        Assert.Equal(reference.Count, tree.Count);
        Assert.Equal(reference.CountNodes(), tree.CountNodes());
        Assert.Equal(StableCount + 1, tree.Match("stable/a/x").Count);
        Assert.Equal(StableCount, tree.Match("stable/b/x").Count);
        Assert.Empty(tree.Match("churn/0/1"));
    }

    private static void Write(TopicTree<TestSubscription> tree, int writer)
    {
        // Each writer owns its client ids, so its own adds and removes always succeed.
        string[] filters = ["stable/a/x", "stable/#", "stable/a/+", "churn/+/1", "churn/{0}/1", "#"];
        var live = new Queue<(string Filter, string ClientId, string? Group)>();
        for (int i = 0; i < 4000; i++)
        {
            string filter = string.Format(null, filters[i % filters.Length], i % 17);
            string clientId = $"w{writer}-{i}";
            // A group of its own, so readers can count the stable group's deliveries apart.
            string? group = i % 5 == 0 ? "churn" : null;
            Assert.True(tree.AddOrReplace(filter, new TestSubscription(clientId, group), out _));
            live.Enqueue((filter, clientId, group));
            if (live.Count > 20)
            {
                (string f, string c, string? g) = live.Dequeue();
                Assert.True(tree.Remove(f, c, g, out _));
            }
        }

        while (live.TryDequeue(out (string Filter, string ClientId, string? Group) item))
        {
            Assert.True(tree.Remove(item.Filter, item.ClientId, item.Group, out _));
        }
    }

    private static void Run(ConcurrentQueue<Exception> failures, Action action)
    {
        try
        {
            action();
        }
        catch (Exception ex)
        {
            failures.Enqueue(ex);
        }
    }
}

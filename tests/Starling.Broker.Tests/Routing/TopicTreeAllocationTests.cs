using System.Text;
using Starling.Broker.Routing;

namespace Starling.Broker.Tests.Routing;

public class TopicTreeAllocationTests
{
    [Fact]
    public void Match_AllocatesNothingAfterWarmUp()
    {
        var tree = new TopicTree<TestSubscription>();
        for (int i = 0; i < 1000; i++)
        {
            tree.Add($"sensors/b{i % 10}/f{i % 7}/r{i}/temp", $"c{i}");
        }

        tree.Add("sensors/+/+/+/temp", "wild");
        tree.Add("sensors/#", "all");
        tree.Add("#", "everything");
        tree.Add("sensors/b3/+/r3/temp", "s1", "group");
        tree.Add("sensors/b3/+/r3/temp", "s2", "group");
        tree.Add("sensors/b3/+/r3/temp", "s3", "group", isOnline: false);

        byte[][] topics =
        [
            Encoding.UTF8.GetBytes("sensors/b3/f3/r3/temp"),
            Encoding.UTF8.GetBytes("sensors/b9/f0/nothing/here"),
            Encoding.UTF8.GetBytes("$SYS/broker/uptime"),
            Encoding.UTF8.GetBytes("a//b/"),
        ];
        var results = new List<TestSubscription>(64);
        for (int i = 0; i < 1000; i++)
        {
            results.Clear();
            tree.Match(topics[i % topics.Length], results);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            results.Clear();
            tree.Match(topics[i % topics.Length], results);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
    }
}

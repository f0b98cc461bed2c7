using System.Text;
using Starling.Broker.Routing;

namespace Starling.Broker.Tests.Routing;

/// <summary>A subscription for tests; compared by reference so a replacement is told from the original.</summary>
internal sealed class TestSubscription(string clientId, string? shareGroup = null, bool isOnline = true) : ITopicSubscription
{
    public string ClientId { get; } = clientId;

    public string? ShareGroup { get; } = shareGroup;

    public bool IsOnline { get; set; } = isOnline;

    public override string ToString() => ShareGroup is null ? ClientId : $"{ShareGroup}:{ClientId}";
}

internal static class TopicTreeTestExtensions
{
    public static TestSubscription Add(this TopicTree<TestSubscription> tree, string filter, string clientId, string? shareGroup = null, bool isOnline = true)
    {
        var subscription = new TestSubscription(clientId, shareGroup, isOnline);
        tree.AddOrReplace(filter, subscription, out _);
        return subscription;
    }

    public static List<TestSubscription> Match(this TopicTree<TestSubscription> tree, string topic)
    {
        var results = new List<TestSubscription>();
        tree.Match(Encoding.UTF8.GetBytes(topic), results);
        return results;
    }

    /// <summary>The matched client ids, sorted, so tests compare them regardless of order.</summary>
    public static string[] MatchIds(this TopicTree<TestSubscription> tree, string topic) =>
        [.. tree.Match(topic).Select(s => s.ClientId).Order(StringComparer.Ordinal)];
}

using Starling.Broker.Routing;

namespace Starling.Benchmarks;

/// <summary>A minimal subscription to fill the topic tree with.</summary>
internal sealed class BenchSubscription(string clientId, string? shareGroup = null) : ITopicSubscription
{
    public string ClientId { get; } = clientId;

    public string? ShareGroup { get; } = shareGroup;

    public bool IsOnline => true;
}

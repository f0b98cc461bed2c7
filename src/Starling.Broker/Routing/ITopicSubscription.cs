namespace Starling.Broker.Routing;

/// <summary>What the topic tree needs to know about a subscription to store and route it.</summary>
public interface ITopicSubscription
{
    /// <summary>The subscribing client; with <see cref="ShareGroup"/> it identifies the entry at one filter.</summary>
    string ClientId { get; }

    /// <summary>
    /// The share name of a shared subscription ("$share/{group}/{filter}", section 4.8.2), or null for a
    /// non-shared one.
    /// </summary>
    string? ShareGroup { get; }

    /// <summary>
    /// Whether the client is connected now. A shared group delivers to an online member when it has one,
    /// since a message queued for an offline member waits while other members could take it.
    /// </summary>
    bool IsOnline { get; }
}

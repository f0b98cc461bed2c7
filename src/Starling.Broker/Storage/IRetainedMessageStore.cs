using Starling.Broker.Routing;

namespace Starling.Broker.Storage;

/// <summary>
/// The retained messages, one per topic. Contract: <see cref="Set"/> replaces the topic's message and
/// returns once it is stored (for a durable store: written), so the PUBLISH may then be acknowledged.
/// </summary>
public interface IRetainedMessageStore
{
    /// <summary>The number of retained messages.</summary>
    int Count { get; }

    /// <summary>Stores or replaces the retained message of <paramref name="message"/>'s topic.</summary>
    void Set(ApplicationMessage message);

    /// <summary>Deletes the retained message of a topic (a retained PUBLISH with an empty payload) [MQTT-3.3.1-10].</summary>
    void Remove(string topic);

    /// <summary>Appends every retained message whose topic matches <paramref name="filter"/>.</summary>
    void Match(string filter, List<ApplicationMessage> results);
}

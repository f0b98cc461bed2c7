using Starling.Broker.Routing;

namespace Starling.Broker.Storage;

/// <summary>Retained messages in a topic trie, so a subscribe walks its filter instead of every message.</summary>
public sealed class InMemoryRetainedMessageStore : IRetainedMessageStore
{
    private readonly RetainedTree<ApplicationMessage> _tree = new();

    /// <inheritdoc />
    public int Count => _tree.Count;

    /// <inheritdoc />
    public void Set(ApplicationMessage message) => _tree.Set(message.Topic, message);

    /// <inheritdoc />
    public void Remove(string topic) => _tree.Remove(topic);

    /// <inheritdoc />
    public void Match(string filter, List<ApplicationMessage> results) => _tree.Match(filter, results);
}

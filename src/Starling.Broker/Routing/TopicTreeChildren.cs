using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace Starling.Broker.Routing;

/// <summary>
/// The literal (non-wildcard) children of a topic tree node, keyed by the level's UTF-8 bytes. Readers look up
/// without locking through the span lookup; only the tree's writer adds or removes.
/// </summary>
internal sealed class TopicTreeChildren<T>
    where T : class, ITopicSubscription
{
    private readonly ConcurrentDictionary<byte[], TopicTreeNode<T>> _map;
    private readonly ConcurrentDictionary<byte[], TopicTreeNode<T>>.AlternateLookup<ReadOnlySpan<byte>> _lookup;

    public TopicTreeChildren()
    {
        // Concurrency level 1: there is one writer at a time, so one lock stripe saves memory per node.
        _map = new ConcurrentDictionary<byte[], TopicTreeNode<T>>(1, 4, Utf8LevelComparer.Instance);
        _lookup = _map.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    public bool IsEmpty => _map.IsEmpty;

    public ICollection<TopicTreeNode<T>> Nodes => _map.Values;

    public bool TryGet(ReadOnlySpan<byte> level, [NotNullWhen(true)] out TopicTreeNode<T>? child) =>
        _lookup.TryGetValue(level, out child);

    public TopicTreeNode<T> GetOrAdd(byte[] level) => _map.GetOrAdd(level, static _ => new TopicTreeNode<T>());

    public void Remove(byte[] level) => _map.TryRemove(level, out _);
}

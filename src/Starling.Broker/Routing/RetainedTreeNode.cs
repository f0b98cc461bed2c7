namespace Starling.Broker.Routing;

/// <summary>One level of the retained-message trie: the value retained at this topic, and the next levels.</summary>
/// <remarks>Not thread-safe; <see cref="RetainedTree{T}"/> guards every access with its lock.</remarks>
internal sealed class RetainedTreeNode<T>
    where T : class
{
    /// <summary>The retained value for the topic ending here, or null when there is none.</summary>
    public T? Value { get; set; }

    /// <summary>The next levels by name, or null while there are none (most nodes are leaves).</summary>
    public Dictionary<string, RetainedTreeNode<T>>? Children { get; private set; }

    public bool IsEmpty => Value is null && Children is null;

    public RetainedTreeNode<T> GetOrAddChild(string level)
    {
        Children ??= new Dictionary<string, RetainedTreeNode<T>>(StringComparer.Ordinal);
        if (!Children.TryGetValue(level, out RetainedTreeNode<T>? child))
        {
            child = new RetainedTreeNode<T>();
            Children.Add(level, child);
        }

        return child;
    }

    public RetainedTreeNode<T>? GetChild(string level) =>
        Children is { } children && children.TryGetValue(level, out RetainedTreeNode<T>? child) ? child : null;

    public void RemoveChild(string level)
    {
        if (Children is { } children && children.Remove(level) && children.Count == 0)
        {
            Children = null;
        }
    }
}

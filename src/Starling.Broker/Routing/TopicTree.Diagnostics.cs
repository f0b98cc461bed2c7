namespace Starling.Broker.Routing;

/// <summary>Introspection for tests: lets them check that removals prune the trie.</summary>
public sealed partial class TopicTree<T>
{
    /// <summary>The number of nodes below the root. Takes the writer lock so the walk sees a stable trie.</summary>
    internal int CountNodes()
    {
        lock (_writeLock)
        {
            int count = 0;
            var pending = new Stack<TopicTreeNode<T>>();
            pending.Push(_root);
            while (pending.TryPop(out TopicTreeNode<T>? node))
            {
                foreach (TopicTreeNode<T> child in node.AllChildren())
                {
                    count++;
                    pending.Push(child);
                }
            }

            return count;
        }
    }
}

using System.Diagnostics.CodeAnalysis;
using Starling.Mqtt;

namespace Starling.Broker.Routing;

/// <summary>
/// Retained messages by topic name, in a trie, so that a SUBSCRIBE walks its filter through the topics that
/// can match it instead of testing every retained message [MQTT-3.3.1-9].
/// </summary>
/// <remarks>
/// One lock guards the trie: retained messages change and are read far less often than subscriptions are
/// matched. Walks use explicit stacks rather than recursion, as topic depth is chosen by clients.
/// </remarks>
/// <typeparam name="T">The retained message.</typeparam>
public sealed class RetainedTree<T>
    where T : class
{
    private const string SingleLevelWildcard = "+";
    private const string MultiLevelWildcard = "#";

    private readonly RetainedTreeNode<T> _root = new();
    private readonly Lock _lock = new();
    private int _count;

    /// <summary>The number of retained messages.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    /// <summary>Retains <paramref name="value"/> at <paramref name="topic"/>, replacing any previous one.</summary>
    /// <exception cref="ArgumentException">The topic is not a valid topic name.</exception>
    public void Set(string topic, T value)
    {
        ArgumentNullException.ThrowIfNull(value);
        string[] levels = SplitTopic(topic);
        lock (_lock)
        {
            RetainedTreeNode<T> node = _root;
            foreach (string level in levels)
            {
                node = node.GetOrAddChild(level);
            }

            if (node.Value is null)
            {
                _count++;
            }

            node.Value = value;
        }
    }

    /// <summary>
    /// Removes the message retained at <paramref name="topic"/> (as a retained PUBLISH with an empty payload
    /// does [MQTT-3.3.1-10]) and the nodes left empty.
    /// </summary>
    public bool Remove(string topic)
    {
        string[] levels = SplitTopic(topic);
        lock (_lock)
        {
            var path = new RetainedTreeNode<T>[levels.Length + 1];
            path[0] = _root;
            for (int i = 0; i < levels.Length; i++)
            {
                if (path[i].GetChild(levels[i]) is not { } child)
                {
                    return false;
                }

                path[i + 1] = child;
            }

            if (path[^1].Value is null)
            {
                return false;
            }

            path[^1].Value = null;
            _count--;
            for (int i = levels.Length; i > 0 && path[i].IsEmpty; i--)
            {
                path[i - 1].RemoveChild(levels[i - 1]);
            }

            return true;
        }
    }

    /// <summary>Gets the message retained at exactly <paramref name="topic"/>.</summary>
    public bool TryGet(string topic, [NotNullWhen(true)] out T? value)
    {
        string[] levels = SplitTopic(topic);
        lock (_lock)
        {
            RetainedTreeNode<T>? node = _root;
            for (int i = 0; i < levels.Length && node is not null; i++)
            {
                node = node.GetChild(levels[i]);
            }

            value = node?.Value;
            return value is not null;
        }
    }

    /// <summary>
    /// Appends every retained message whose topic matches <paramref name="filter"/> (given without any
    /// "$share/{group}/" prefix). '+' and '#' at the first level do not match topics starting with '$'
    /// [MQTT-4.7.2-1].
    /// </summary>
    /// <exception cref="ArgumentException">The filter is not a valid topic filter.</exception>
    public void Match(string filter, List<T> results)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(results);
        if (!MqttTopic.IsValidTopicFilter(filter))
        {
            throw new ArgumentException($"'{filter}' is not a valid topic filter.", nameof(filter));
        }

        lock (_lock)
        {
            if (_root.IsEmpty)
            {
                return; // no retained message at all (the usual case): nothing to split or walk
            }

            string[] levels = filter.Split('/');
            var pending = new Stack<(RetainedTreeNode<T> Node, int Level)>();
            pending.Push((_root, 0));
            while (pending.TryPop(out (RetainedTreeNode<T> Node, int Level) item))
            {
                (RetainedTreeNode<T> node, int level) = item;
                if (level == levels.Length)
                {
                    if (node.Value is { } value)
                    {
                        results.Add(value);
                    }

                    continue;
                }

                bool atRoot = level == 0;
                switch (levels[level])
                {
                    case MultiLevelWildcard:
                        // '#' matches the parent level too: "a/#" matches "a" [MQTT-4.7.1-2].
                        CollectSubtree(node, skipSystemChildren: atRoot, results);
                        break;
                    case SingleLevelWildcard:
                        if (node.Children is { } children)
                        {
                            foreach ((string name, RetainedTreeNode<T> child) in children)
                            {
                                if (!(atRoot && IsSystem(name)))
                                {
                                    pending.Push((child, level + 1));
                                }
                            }
                        }

                        break;
                    default:
                        if (node.GetChild(levels[level]) is { } next)
                        {
                            pending.Push((next, level + 1));
                        }

                        break;
                }
            }
        }
    }

    /// <summary>Appends the value at <paramref name="start"/> and every value below it.</summary>
    private static void CollectSubtree(RetainedTreeNode<T> start, bool skipSystemChildren, List<T> results)
    {
        var pending = new Stack<RetainedTreeNode<T>>();
        if (start.Value is { } own)
        {
            results.Add(own);
        }

        if (start.Children is { } first)
        {
            foreach ((string name, RetainedTreeNode<T> child) in first)
            {
                if (!(skipSystemChildren && IsSystem(name)))
                {
                    pending.Push(child);
                }
            }
        }

        while (pending.TryPop(out RetainedTreeNode<T>? node))
        {
            if (node.Value is { } value)
            {
                results.Add(value);
            }

            if (node.Children is { } children)
            {
                foreach (RetainedTreeNode<T> child in children.Values)
                {
                    pending.Push(child);
                }
            }
        }
    }

    /// <summary>The number of nodes below the root; lets tests check that removals prune the trie.</summary>
    internal int CountNodes()
    {
        lock (_lock)
        {
            int count = 0;
            var pending = new Stack<RetainedTreeNode<T>>();
            pending.Push(_root);
            while (pending.TryPop(out RetainedTreeNode<T>? node))
            {
                if (node.Children is { } children)
                {
                    foreach (RetainedTreeNode<T> child in children.Values)
                    {
                        count++;
                        pending.Push(child);
                    }
                }
            }

            return count;
        }
    }

    // A first level starting with '$' is reserved for the server (e.g. "$SYS") [MQTT-4.7.2-1].
    private static bool IsSystem(string firstLevel) => firstLevel.StartsWith('$');

    private static string[] SplitTopic(string topic)
    {
        ArgumentNullException.ThrowIfNull(topic);
        if (!MqttTopic.IsValidTopicName(topic))
        {
            throw new ArgumentException($"'{topic}' is not a valid topic name.", nameof(topic));
        }

        return topic.Split('/');
    }
}

using System.Runtime.CompilerServices;

namespace Starling.Broker.Routing;

/// <summary>The lock-free, allocation-free read side of the subscription trie.</summary>
public sealed partial class TopicTree<T>
{
    /// <summary>
    /// Appends to <paramref name="results"/> every non-shared subscription whose filter matches
    /// <paramref name="topicUtf8"/> (a client appears once per matching filter; the caller merges them), and for
    /// each matching shared subscription (share group at one filter) the one member chosen to receive it.
    /// </summary>
    /// <remarks>
    /// Takes no lock and allocates nothing once <paramref name="results"/> has grown to its working size. Safe
    /// to call from any number of threads while subscriptions are added and removed; a concurrent change is
    /// either seen whole or not at all for each filter.
    /// </remarks>
    /// <param name="topicUtf8">A valid topic name as UTF-8 (no wildcards), as read from the PUBLISH.</param>
    /// <param name="results">Where matches are appended; not cleared first.</param>
    public void Match(ReadOnlySpan<byte> topicUtf8, List<T> results)
    {
        ArgumentNullException.ThrowIfNull(results);

        // Topics starting with '$' are not matched by a filter starting with '+' or '#' [MQTT-4.7.2-1].
        bool system = !topicUtf8.IsEmpty && topicUtf8[0] == (byte)'$';
        MatchFrom(_root, topicUtf8, 0, system, results);
    }

    /// <summary>
    /// Matches the levels of <paramref name="topic"/> from index <paramref name="start"/> (past its end: no
    /// level left) against the filters below <paramref name="node"/>.
    /// </summary>
    /// <remarks>
    /// The literal child is followed in a loop; only '+' branches recurse, so the stack grows with the number
    /// of '+' levels on a path. A filter nested deep enough to exhaust the stack makes this throw
    /// <see cref="InsufficientExecutionStackException"/> for that publish instead of crashing the process.
    /// </remarks>
    private static void MatchFrom(TopicTreeNode<T> node, ReadOnlySpan<byte> topic, int start, bool skipWildcards, List<T> results)
    {
        while (true)
        {
            if (start > topic.Length)
            {
                node.CollectInto(results);

                // "sport/#" also matches "sport": '#' includes the parent level [MQTT-4.7.1-2].
                node.Hash?.CollectInto(results);
                return;
            }

            int slash = topic[start..].IndexOf((byte)'/');
            int end = slash < 0 ? topic.Length : start + slash;

            if (!skipWildcards)
            {
                // '#' matches this level and every one after it [MQTT-4.7.1-2].
                node.Hash?.CollectInto(results);

                // '+' matches exactly this level, empty ones included [MQTT-4.7.1-3].
                if (node.Plus is { } plus)
                {
                    RuntimeHelpers.EnsureSufficientExecutionStack();
                    MatchFrom(plus, topic, end + 1, false, results);
                }
            }

            // An empty level ("a//b", "/a") is a real level and is looked up like any other.
            if (node.Children is not { } children || !children.TryGet(topic[start..end], out TopicTreeNode<T>? child))
            {
                return;
            }

            node = child;
            start = end + 1;
            skipWildcards = false;
        }
    }
}

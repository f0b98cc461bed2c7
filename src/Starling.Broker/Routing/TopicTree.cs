using System.Diagnostics.CodeAnalysis;
using Starling.Mqtt;

namespace Starling.Broker.Routing;

/// <summary>
/// The subscription trie: filters split into levels on '/', with '+' and '#' as their own children. Matching a
/// topic walks only the branches the topic can reach, so its cost grows with the topic's depth and the number
/// of matching filters, not with the number of subscriptions.
/// </summary>
/// <remarks>
/// Matching runs on every publish from many threads and takes no lock (see TopicTree.Match.cs). Adding and
/// removing, which are rarer, take one writer lock; the nodes they change publish new state with volatile
/// writes of whole copy-on-write arrays and references.
/// </remarks>
/// <typeparam name="T">The stored subscription; its (ClientId, ShareGroup) identifies it at one filter.</typeparam>
public sealed partial class TopicTree<T>
    where T : class, ITopicSubscription
{
    private readonly TopicTreeNode<T> _root = new();
    private readonly Lock _writeLock = new();
    private int _count;

    /// <summary>The number of subscriptions stored, shared group members included.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>
    /// Stores <paramref name="subscription"/> at <paramref name="filter"/> (given without any "$share/{group}/"
    /// prefix; the group comes from <see cref="ITopicSubscription.ShareGroup"/>). An entry with the same client
    /// id and share group at that filter is replaced, as a SUBSCRIBE repeating a filter replaces the existing
    /// subscription [MQTT-3.8.4-3].
    /// </summary>
    /// <returns>True when added; false when it replaced <paramref name="replaced"/>.</returns>
    /// <exception cref="ArgumentException">The filter is not a valid topic filter (section 4.7).</exception>
    public bool AddOrReplace(string filter, T subscription, out T? replaced)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(subscription);
        ArgumentNullException.ThrowIfNull(subscription.ClientId);
        if (!MqttTopic.IsValidTopicFilter(filter))
        {
            throw new ArgumentException($"'{filter}' is not a valid topic filter.", nameof(filter));
        }

        string[] levels = filter.Split('/');
        lock (_writeLock)
        {
            TopicTreeNode<T> node = _root;
            foreach (string level in levels)
            {
                node = node.GetOrAddChild(level);
            }

            bool added = node.AddOrReplace(subscription, out replaced);
            if (added)
            {
                Volatile.Write(ref _count, _count + 1);
            }

            return added;
        }
    }

    /// <summary>
    /// Removes the entry of <paramref name="clientId"/> in <paramref name="shareGroup"/> (null: non-shared) at
    /// <paramref name="filter"/>, then drops the nodes left empty so unsubscribed branches cost nothing.
    /// </summary>
    public bool Remove(string filter, string clientId, string? shareGroup, [NotNullWhen(true)] out T? removed)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(clientId);

        string[] levels = filter.Split('/');
        lock (_writeLock)
        {
            // path[i] is the node reached after i levels; path[0] is the root.
            var path = new TopicTreeNode<T>[levels.Length + 1];
            path[0] = _root;
            for (int i = 0; i < levels.Length; i++)
            {
                if (!path[i].TryGetChild(levels[i], out TopicTreeNode<T>? child))
                {
                    removed = null;
                    return false;
                }

                path[i + 1] = child;
            }

            if (!path[^1].Remove(clientId, shareGroup, out removed))
            {
                return false;
            }

            Volatile.Write(ref _count, _count - 1);
            for (int i = levels.Length; i > 0 && path[i].IsEmpty; i--)
            {
                path[i - 1].RemoveChild(levels[i - 1]);
            }

            return true;
        }
    }
}

using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Starling.Broker.Routing;

/// <summary>
/// One level of the subscription trie: the subscriptions whose filter ends here, and the children for the
/// next level ('+' and '#' apart from the literal levels, so matching never looks them up by name).
/// </summary>
/// <remarks>
/// Every field is replaced whole by the tree's single writer and read without a lock by matchers: entry
/// arrays are copy-on-write and child references are volatile, so a reader sees either the old or the new
/// state, never a torn one.
/// </remarks>
internal sealed class TopicTreeNode<T>
    where T : class, ITopicSubscription
{
    private const string SingleLevelWildcard = "+";
    private const string MultiLevelWildcard = "#";

    private volatile TopicTreeChildren<T>? _children;
    private volatile TopicTreeNode<T>? _plus;
    private volatile TopicTreeNode<T>? _hash;
    private volatile T[] _subscribers = [];
    private volatile SharedGroup<T>[] _groups = [];

    /// <summary>The literal children, or null while there are none (most nodes are leaves).</summary>
    public TopicTreeChildren<T>? Children => _children;

    /// <summary>The child for a '+' level.</summary>
    public TopicTreeNode<T>? Plus => _plus;

    /// <summary>The child for a '#' level; always a leaf [MQTT-4.7.1-2].</summary>
    public TopicTreeNode<T>? Hash => _hash;

    public bool IsEmpty =>
        _subscribers.Length == 0 && _groups.Length == 0 && _children is null && _plus is null && _hash is null;

    /// <summary>
    /// Reader. Appends the non-shared subscriptions ending here and one member of each shared group ending here.
    /// </summary>
    public void CollectInto(List<T> results)
    {
        foreach (T subscriber in _subscribers)
        {
            results.Add(subscriber);
        }

        foreach (SharedGroup<T> group in _groups)
        {
            if (group.Pick() is { } member)
            {
                results.Add(member);
            }
        }
    }

    /// <summary>Every child, wildcards included; for diagnostics.</summary>
    public IEnumerable<TopicTreeNode<T>> AllChildren()
    {
        if (_plus is { } plus)
        {
            yield return plus;
        }

        if (_hash is { } hash)
        {
            yield return hash;
        }

        if (_children is { } children)
        {
            foreach (TopicTreeNode<T> child in children.Nodes)
            {
                yield return child;
            }
        }
    }

    /// <summary>Writer only.</summary>
    public TopicTreeNode<T> GetOrAddChild(string level)
    {
        switch (level)
        {
            case SingleLevelWildcard:
                return _plus ??= new TopicTreeNode<T>();
            case MultiLevelWildcard:
                return _hash ??= new TopicTreeNode<T>();
            default:
                TopicTreeChildren<T> children = _children ??= new TopicTreeChildren<T>();
                return children.GetOrAdd(Encoding.UTF8.GetBytes(level));
        }
    }

    /// <summary>Writer only: finds the child for a filter level.</summary>
    public bool TryGetChild(string level, [NotNullWhen(true)] out TopicTreeNode<T>? child)
    {
        switch (level)
        {
            case SingleLevelWildcard:
                child = _plus;
                return child is not null;
            case MultiLevelWildcard:
                child = _hash;
                return child is not null;
            default:
                child = null;
                return _children is { } children && children.TryGet(Encoding.UTF8.GetBytes(level), out child);
        }
    }

    /// <summary>Writer only: detaches an (empty) child so the trie does not keep dead branches.</summary>
    public void RemoveChild(string level)
    {
        switch (level)
        {
            case SingleLevelWildcard:
                _plus = null;
                break;
            case MultiLevelWildcard:
                _hash = null;
                break;
            default:
                if (_children is { } children)
                {
                    children.Remove(Encoding.UTF8.GetBytes(level));
                    if (children.IsEmpty)
                    {
                        _children = null;
                    }
                }

                break;
        }
    }

    /// <summary>Writer only. Replaces the entry with the same (client id, share group), or adds one.</summary>
    public bool AddOrReplace(T subscription, out T? replaced)
    {
        if (subscription.ShareGroup is { } groupName)
        {
            SharedGroup<T>? group = FindGroup(groupName);
            if (group is null)
            {
                group = new SharedGroup<T>(groupName);
                group.AddOrReplace(subscription, out replaced);

                // Published only once it has its member, so a reader never picks from an empty group.
                _groups = [.. _groups, group];
                return true;
            }

            return group.AddOrReplace(subscription, out replaced);
        }

        T[] subscribers = _subscribers;
        int index = IndexOf(subscribers, subscription.ClientId);
        if (index >= 0)
        {
            replaced = subscribers[index];
            T[] copy = (T[])subscribers.Clone();
            copy[index] = subscription;
            _subscribers = copy;
            return false;
        }

        replaced = null;
        _subscribers = [.. subscribers, subscription];
        return true;
    }

    /// <summary>Writer only. Removes the entry with this (client id, share group); drops a group left empty.</summary>
    public bool Remove(string clientId, string? shareGroup, [NotNullWhen(true)] out T? removed)
    {
        if (shareGroup is not null)
        {
            SharedGroup<T>? group = FindGroup(shareGroup);
            if (group is null || !group.Remove(clientId, out removed))
            {
                removed = null;
                return false;
            }

            if (group.IsEmpty)
            {
                SharedGroup<T>[] groups = _groups;
                int at = Array.IndexOf(groups, group);
                _groups = [.. groups.AsSpan(0, at), .. groups.AsSpan(at + 1)];
            }

            return true;
        }

        T[] subscribers = _subscribers;
        int index = IndexOf(subscribers, clientId);
        if (index < 0)
        {
            removed = null;
            return false;
        }

        removed = subscribers[index];
        _subscribers = [.. subscribers.AsSpan(0, index), .. subscribers.AsSpan(index + 1)];
        return true;
    }

    private SharedGroup<T>? FindGroup(string name)
    {
        foreach (SharedGroup<T> group in _groups)
        {
            if (string.Equals(group.Name, name, StringComparison.Ordinal))
            {
                return group;
            }
        }

        return null;
    }

    private static int IndexOf(T[] subscribers, string clientId)
    {
        for (int i = 0; i < subscribers.Length; i++)
        {
            if (string.Equals(subscribers[i].ClientId, clientId, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }
}

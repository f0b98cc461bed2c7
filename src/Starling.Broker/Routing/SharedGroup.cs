using System.Diagnostics.CodeAnalysis;

namespace Starling.Broker.Routing;

/// <summary>
/// The members of one shared subscription: one share name at one filter node (section 4.8.2). Each matching
/// message goes to exactly one member, chosen round robin, preferring members that are online.
/// </summary>
/// <remarks>
/// The members array is copy-on-write: the tree's single writer replaces it whole, readers take a snapshot
/// without locking. The only shared mutable state readers touch is the round-robin cursor, moved with
/// interlocked operations so that concurrent publishes spread over the members without a lock.
/// </remarks>
internal sealed class SharedGroup<T>
    where T : class, ITopicSubscription
{
    private volatile T[] _members = [];
    private int _cursor;

    public SharedGroup(string name) => Name = name;

    public string Name { get; }

    public bool IsEmpty => _members.Length == 0;

    /// <summary>
    /// Chooses the member for one message: the next member in turn that is online, or the next in turn when
    /// none is online (its session keeps the message until it reconnects). Null only when the group is empty.
    /// </summary>
    public T? Pick()
    {
        T[] members = _members;
        int count = members.Length;
        if (count <= 1)
        {
            return count == 0 ? null : members[0];
        }

        // Each pick takes a ticket; when it has to skip offline members it moves the cursor past the member it
        // chose, so the next pick starts after it and online members keep an even share.
        int ticket = Interlocked.Increment(ref _cursor);
        uint start = (uint)(ticket - 1) % (uint)count;
        for (int step = 0; step < count; step++)
        {
            T member = members[(int)((start + (uint)step) % (uint)count)];
            if (member.IsOnline)
            {
                if (step != 0)
                {
                    // If another pick moved the cursor meanwhile, its move wins; both picks are still valid.
                    Interlocked.CompareExchange(ref _cursor, ticket + step, ticket);
                }

                return member;
            }
        }

        return members[start];
    }

    /// <summary>Writer only. Replaces the member with the same client id, or appends.</summary>
    public bool AddOrReplace(T subscription, out T? replaced)
    {
        T[] members = _members;
        int index = IndexOf(members, subscription.ClientId);
        if (index >= 0)
        {
            replaced = members[index];
            T[] copy = (T[])members.Clone();
            copy[index] = subscription;
            _members = copy;
            return false;
        }

        replaced = null;
        _members = [.. members, subscription];
        return true;
    }

    /// <summary>Writer only. Removes the member with this client id.</summary>
    public bool Remove(string clientId, [NotNullWhen(true)] out T? removed)
    {
        T[] members = _members;
        int index = IndexOf(members, clientId);
        if (index < 0)
        {
            removed = null;
            return false;
        }

        removed = members[index];
        _members = [.. members.AsSpan(0, index), .. members.AsSpan(index + 1)];
        return true;
    }

    private static int IndexOf(T[] members, string clientId)
    {
        for (int i = 0; i < members.Length; i++)
        {
            if (string.Equals(members[i].ClientId, clientId, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }
}

using System.Diagnostics.CodeAnalysis;
using Starling.Broker.Sessions;

namespace Starling.Broker.Storage;

/// <summary>
/// Where sessions live between connections. Contract: a session returned by <see cref="TryGet"/> is the one
/// a resumed client continues; <see cref="Remove"/> is called when a session ends (clean session at
/// disconnect, expiry, clean start). The in-memory store holds live objects; a durable store writes through
/// the same calls and reloads sessions at start.
/// </summary>
public interface ISessionStore
{
    /// <summary>The number of sessions held.</summary>
    int Count { get; }

    /// <summary>Finds the session of a client.</summary>
    bool TryGet(string clientId, [NotNullWhen(true)] out Session? session);

    /// <summary>Stores a new session, replacing any previous one of that client.</summary>
    void Set(Session session);

    /// <summary>Removes a client's session if it is <paramref name="session"/>; false when another replaced it.</summary>
    bool Remove(Session session);

    /// <summary>Every session held (a snapshot).</summary>
    IReadOnlyCollection<Session> Snapshot();
}

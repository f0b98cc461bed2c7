using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace Starling.Broker.Sessions;

/// <summary>
/// The live sessions of one broker, by client id: the one a resumed client continues, and the ones the sweep and
/// the stop walk. An index of live objects, not a store: what survives the process is written as plain records
/// through <see cref="Storage.ISessionStateStore"/>, which a durable backend implements.
/// </summary>
public sealed class SessionRegistry
{
    private readonly ConcurrentDictionary<string, Session> _sessions = new(StringComparer.Ordinal);

    /// <summary>The number of sessions held.</summary>
    public int Count => _sessions.Count;

    /// <summary>Finds the session of a client.</summary>
    public bool TryGet(string clientId, [NotNullWhen(true)] out Session? session) => _sessions.TryGetValue(clientId, out session);

    /// <summary>Every session held (a snapshot).</summary>
    public IReadOnlyCollection<Session> Snapshot() => _sessions.Values.ToArray();

    /// <summary>Holds a new session, replacing any previous one of that client.</summary>
    internal void Set(Session session) => _sessions[session.ClientId] = session;

    /// <summary>Removes a client's session if it is <paramref name="session"/>; false when another replaced it.</summary>
    internal bool Remove(Session session) => _sessions.TryRemove(new KeyValuePair<string, Session>(session.ClientId, session));
}

using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Starling.Broker.Sessions;

namespace Starling.Broker.Storage;

/// <summary>Sessions in a concurrent dictionary; lost when the process ends.</summary>
public sealed class InMemorySessionStore : ISessionStore
{
    private readonly ConcurrentDictionary<string, Session> _sessions = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public int Count => _sessions.Count;

    /// <inheritdoc />
    public bool TryGet(string clientId, [NotNullWhen(true)] out Session? session) => _sessions.TryGetValue(clientId, out session);

    /// <inheritdoc />
    public void Set(Session session) => _sessions[session.ClientId] = session;

    /// <inheritdoc />
    public bool Remove(Session session) => _sessions.TryRemove(new KeyValuePair<string, Session>(session.ClientId, session));

    /// <inheritdoc />
    public IReadOnlyCollection<Session> Snapshot() => _sessions.Values.ToArray();
}

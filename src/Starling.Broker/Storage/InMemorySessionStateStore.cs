using System.Collections.Concurrent;

namespace Starling.Broker.Storage;

/// <summary>
/// Session records in memory: they outlive one <see cref="MqttBroker"/> (hand the same instance to the next, as an
/// embedding host or a test does) but not the process. The reference implementation of the contract.
/// </summary>
public sealed class InMemorySessionStateStore : ISessionStateStore
{
    private readonly ConcurrentDictionary<string, StoredSession> _records = new(StringComparer.Ordinal);

    /// <summary>The number of records held.</summary>
    public int Count => _records.Count;

    /// <inheritdoc />
    public void Save(StoredSession session) => _records[session.ClientId] = session;

    /// <inheritdoc />
    public void Delete(string clientId) => _records.TryRemove(clientId, out _);

    /// <summary>The client's record, if one is held.</summary>
    public bool TryGet(string clientId, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out StoredSession session) => _records.TryGetValue(clientId, out session);

    /// <inheritdoc />
    public IReadOnlyCollection<StoredSession> Load() => _records.Values.ToArray();
}

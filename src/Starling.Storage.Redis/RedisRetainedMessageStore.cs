using Starling.Broker.Routing;
using Starling.Broker.Storage;

namespace Starling.Storage.Redis;

/// <summary>
/// Retained messages in a Redis hash, and in a topic trie in memory for matching: loaded at start (what expired
/// meanwhile is dropped), then each set or delete is written before it returns, unless the broker's journal writes
/// it (journaled = true, as with <see cref="RedisJournal"/>): then the store only keeps the trie.
/// </summary>
public sealed class RedisRetainedMessageStore : IRetainedMessageStore
{
    private readonly RedisDatabase _database;
    private readonly InMemoryRetainedMessageStore _index = new();
    private readonly bool _journaled;

    public RedisRetainedMessageStore(RedisDatabase database, bool journaled = false)
    {
        ArgumentNullException.ThrowIfNull(database);
        _database = database;
        _journaled = journaled;
        var expired = new List<string>();
        foreach (var entry in database.Database.HashGetAll(database.Keys.Retained))
        {
            if (StoredMessageCodec.Decode((byte[])entry.Value!).ToLive() is { } message)
            {
                _index.Set(message);
            }
            else
            {
                expired.Add(entry.Name!);
            }
        }

        if (expired.Count > 0)
        {
            database.Database.HashDelete(database.Keys.Retained, [.. expired.Select(t => (StackExchange.Redis.RedisValue)t)]);
        }
    }

    /// <inheritdoc />
    public int Count => _index.Count;

    /// <inheritdoc />
    public void Set(ApplicationMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!_journaled)
        {
            RedisRows.InTransaction(_database, t => RedisRows.RetainedSet(t, _database.Keys, message.Topic, StoredMessageCodec.Encode(message.ToStored())));
        }

        _index.Set(message);
    }

    /// <inheritdoc />
    public void Remove(string topic)
    {
        if (!_journaled)
        {
            RedisRows.InTransaction(_database, t => RedisRows.RetainedRemoved(t, _database.Keys, topic));
        }

        _index.Remove(topic);
    }

    /// <inheritdoc />
    public void Match(string filter, List<ApplicationMessage> results) => _index.Match(filter, results);
}

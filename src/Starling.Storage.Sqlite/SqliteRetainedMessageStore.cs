using Starling.Broker.Routing;
using Starling.Broker.Storage;

namespace Starling.Storage.Sqlite;

/// <summary>
/// Retained messages in the SQLite file, and in a topic trie in memory for matching: subscribes read the trie, and
/// each set or delete is written to the file before it returns. Loaded at start; what expired meanwhile is dropped.
/// When the broker journals to a <see cref="SqliteJournal"/> on the same database, it appends each set and delete to
/// the journal, whose group commit writes them (constructed with journaled = true): the store then only keeps the trie.
/// </summary>
public sealed class SqliteRetainedMessageStore : IRetainedMessageStore
{
    private readonly SqliteDatabase _database;
    private readonly InMemoryRetainedMessageStore _index;
    private readonly bool _journaled;

    public SqliteRetainedMessageStore(SqliteDatabase database, bool journaled = false)
    {
        _database = Loaded(database, out _index);
        _journaled = journaled;
    }

    /// <inheritdoc />
    public int Count => _index.Count;

    /// <inheritdoc />
    public void Set(ApplicationMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (_journaled)
        {
            _index.Set(message);
            return;
        }

        byte[] encoded = StoredMessageCodec.Encode(message.ToStored());
        lock (_database.Gate)
        {
            RetainedRows.Set(_database.Connection, null, message.Topic, encoded);
        }

        _index.Set(message);
    }

    /// <inheritdoc />
    public void Remove(string topic)
    {
        if (_journaled)
        {
            _index.Remove(topic);
            return;
        }

        lock (_database.Gate)
        {
            RetainedRows.Remove(_database.Connection, null, topic);
        }

        _index.Remove(topic);
    }

    /// <inheritdoc />
    public void Match(string filter, List<ApplicationMessage> results) => _index.Match(filter, results);

    private static SqliteDatabase Loaded(SqliteDatabase database, out InMemoryRetainedMessageStore index)
    {
        ArgumentNullException.ThrowIfNull(database);
        index = new InMemoryRetainedMessageStore();
        var expired = new List<string>();
        lock (database.Gate)
        {
            using (var command = database.Connection.CreateCommand())
            {
                command.CommandText = "SELECT topic, message FROM retained";
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    if (StoredMessageCodec.Decode((byte[])reader.GetValue(1)).ToLive() is { } message)
                    {
                        index.Set(message);
                    }
                    else
                    {
                        expired.Add(reader.GetString(0));
                    }
                }
            }

            foreach (string topic in expired)
            {
                RetainedRows.Remove(database.Connection, null, topic);
            }
        }

        return database;
    }
}

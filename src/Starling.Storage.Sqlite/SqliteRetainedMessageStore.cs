using Starling.Broker.Routing;
using Starling.Broker.Storage;

namespace Starling.Storage.Sqlite;

/// <summary>
/// Retained messages in the SQLite file, and in a topic trie in memory for matching: subscribes read the trie, and
/// each set or delete is written to the file before it returns. Loaded at start; what expired meanwhile is dropped.
/// </summary>
public sealed class SqliteRetainedMessageStore : IRetainedMessageStore
{
    private readonly SqliteDatabase _database;
    private readonly InMemoryRetainedMessageStore _index = new();

    public SqliteRetainedMessageStore(SqliteDatabase database)
    {
        _database = database;
        Load();
    }

    /// <inheritdoc />
    public int Count => _index.Count;

    /// <inheritdoc />
    public void Set(ApplicationMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
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
        lock (_database.Gate)
        {
            RetainedRows.Remove(_database.Connection, null, topic);
        }

        _index.Remove(topic);
    }

    /// <inheritdoc />
    public void Match(string filter, List<ApplicationMessage> results) => _index.Match(filter, results);

    private void Load()
    {
        var expired = new List<string>();
        lock (_database.Gate)
        {
            using (var command = _database.Connection.CreateCommand())
            {
                command.CommandText = "SELECT topic, message FROM retained";
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    if (StoredMessageCodec.Decode((byte[])reader.GetValue(1)).ToLive() is { } message)
                    {
                        _index.Set(message);
                    }
                    else
                    {
                        expired.Add(reader.GetString(0));
                    }
                }
            }

            foreach (string topic in expired)
            {
                RetainedRows.Remove(_database.Connection, null, topic);
            }
        }
    }
}

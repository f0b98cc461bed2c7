using Microsoft.Data.Sqlite;
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
            Run("INSERT OR REPLACE INTO retained VALUES ($t, $m)", c =>
            {
                c.Parameters.AddWithValue("$t", message.Topic);
                c.Parameters.AddWithValue("$m", encoded);
            });
        }

        _index.Set(message);
    }

    /// <inheritdoc />
    public void Remove(string topic)
    {
        lock (_database.Gate)
        {
            Run("DELETE FROM retained WHERE topic = $t", c => c.Parameters.AddWithValue("$t", topic));
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
                Run("DELETE FROM retained WHERE topic = $t", c => c.Parameters.AddWithValue("$t", topic));
            }
        }
    }

    private void Run(string sql, Action<SqliteCommand> bind)
    {
        using var command = _database.Connection.CreateCommand();
        command.CommandText = sql;
        bind(command);
        command.ExecuteNonQuery();
    }
}

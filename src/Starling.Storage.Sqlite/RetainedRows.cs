using Microsoft.Data.Sqlite;
using Starling.Broker.Routing;
using Starling.Broker.Storage;

namespace Starling.Storage.Sqlite;

/// <summary>Writes the retained table, for the retained store and the journal alike: one layout, in one place.</summary>
internal static class RetainedRows
{
    public static void Set(SqliteConnection connection, SqliteTransaction? transaction, ApplicationMessage message) =>
        Set(connection, transaction, message.Topic, StoredMessageCodec.Encode(message.ToStored()));

    public static void Set(SqliteConnection connection, SqliteTransaction? transaction, string topic, byte[] encoded) =>
        SessionRows.Run(connection, transaction, "INSERT OR REPLACE INTO retained VALUES ($t, $m)", c =>
        {
            c.Parameters.AddWithValue("$t", topic);
            c.Parameters.AddWithValue("$m", encoded);
        });

    public static void Remove(SqliteConnection connection, SqliteTransaction? transaction, string topic) =>
        SessionRows.Run(connection, transaction, "DELETE FROM retained WHERE topic = $t", c => c.Parameters.AddWithValue("$t", topic));
}

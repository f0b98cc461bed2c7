using Microsoft.Data.Sqlite;
using Starling.Broker.Storage;
using Starling.Mqtt;

namespace Starling.Storage.Sqlite;

/// <summary>
/// Session records in the SQLite file: one row per session, one per subscription, one per queued or in-flight
/// delivery (in order, with its packet id and release state) and one per incoming QoS 2 id. A save replaces the
/// client's rows in one transaction, so a crash leaves either the old record or the new one, never half of each.
/// </summary>
public sealed class SqliteSessionStateStore : ISessionStateStore
{
    private readonly SqliteDatabase _database;

    public SqliteSessionStateStore(SqliteDatabase database) => _database = database;

    /// <inheritdoc />
    public void Save(StoredSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        lock (_database.Gate)
        {
            using var transaction = _database.Connection.BeginTransaction();
            SessionRows.DeleteAll(_database.Connection, transaction, session.ClientId);
            SessionRows.InsertWhole(_database.Connection, transaction, session);
            transaction.Commit();
        }
    }

    /// <inheritdoc />
    public void Delete(string clientId)
    {
        lock (_database.Gate)
        {
            using var transaction = _database.Connection.BeginTransaction();
            SessionRows.DeleteAll(_database.Connection, transaction, clientId);
            transaction.Commit();
        }
    }

    /// <inheritdoc />
    public IReadOnlyCollection<StoredSession> Load()
    {
        lock (_database.Gate)
        {
            var subscriptions = Group("SELECT client_id, filter, qos, no_local, retain_as_published, retain_handling, subscription_id FROM subscriptions", r =>
                new StoredSubscription(r.GetString(1), (MqttQualityOfService)r.GetInt64(2), r.GetBoolean(3), r.GetBoolean(4), (byte)r.GetInt64(5), (uint)r.GetInt64(6)));
            var inflight = new Dictionary<string, List<StoredInflight>>(StringComparer.Ordinal);
            var pending = new Dictionary<string, List<StoredDelivery>>(StringComparer.Ordinal);
            Read("SELECT client_id, packet_id, released, qos, retain, subscription_ids, message, seq FROM deliveries ORDER BY client_id, seq", r =>
            {
                var delivery = new StoredDelivery(
                    StoredMessageCodec.Decode((byte[])r.GetValue(6)),
                    (MqttQualityOfService)r.GetInt64(3),
                    r.GetBoolean(4),
                    r.IsDBNull(5) ? null : SubscriptionIdBytes.Decode((byte[])r.GetValue(5)),
                    r.GetInt64(7));
                string clientId = r.GetString(0);
                if (r.IsDBNull(1))
                {
                    Add(pending, clientId, delivery);
                }
                else
                {
                    Add(inflight, clientId, new StoredInflight((ushort)r.GetInt64(1), delivery, r.GetBoolean(2)));
                }
            });
            var incoming = Group("SELECT client_id, packet_id FROM incoming_qos2", r => (ushort)r.GetInt64(1));
            var sessions = new List<StoredSession>();
            Read("SELECT client_id, username, expiry_interval, expires_at, will, will_at, last_packet_id FROM sessions", r =>
            {
                string clientId = r.GetString(0);
                sessions.Add(new StoredSession(
                    clientId,
                    r.IsDBNull(1) ? null : r.GetString(1),
                    (uint)r.GetInt64(2),
                    Time(r, 3),
                    r.IsDBNull(4) ? null : StoredMessageCodec.Decode((byte[])r.GetValue(4)),
                    Time(r, 5),
                    subscriptions.GetValueOrDefault(clientId) ?? [],
                    inflight.GetValueOrDefault(clientId) ?? [],
                    pending.GetValueOrDefault(clientId) ?? [],
                    incoming.GetValueOrDefault(clientId) ?? [],
                    (ushort)r.GetInt64(6)));
            });
            return sessions;
        }
    }

    private void Read(string sql, Action<SqliteDataReader> row)
    {
        using var command = _database.Connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            row(reader);
        }
    }

    private Dictionary<string, List<T>> Group<T>(string sql, Func<SqliteDataReader, T> value)
    {
        var groups = new Dictionary<string, List<T>>(StringComparer.Ordinal);
        Read(sql, r => Add(groups, r.GetString(0), value(r)));
        return groups;
    }

    private static void Add<T>(Dictionary<string, List<T>> groups, string key, T value)
    {
        if (!groups.TryGetValue(key, out var list))
        {
            groups[key] = list = [];
        }

        list.Add(value);
    }

    private static DateTimeOffset? Time(SqliteDataReader reader, int column) =>
        reader.IsDBNull(column) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(column));
}

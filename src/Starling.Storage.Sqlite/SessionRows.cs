using Microsoft.Data.Sqlite;
using Starling.Broker.Storage;

namespace Starling.Storage.Sqlite;

/// <summary>
/// Writes a session's rows, for the snapshot store (<see cref="SqliteSessionStateStore"/>) and the journal
/// (<see cref="SqliteJournal"/>) alike: one layout, written in one place.
/// </summary>
internal static class SessionRows
{
    private static readonly string[] ClientTables = ["sessions", "subscriptions", "deliveries", "incoming_qos2"];

    /// <summary>Every row of <paramref name="clientId"/>.</summary>
    public static void DeleteAll(SqliteConnection connection, SqliteTransaction transaction, string clientId)
    {
        foreach (string table in ClientTables)
        {
            Run(connection, transaction, $"DELETE FROM {table} WHERE client_id = $c", c => c.Parameters.AddWithValue("$c", clientId));
        }
    }

    /// <summary>The whole record, its deliveries under their <see cref="DeliveryNumbers"/>.</summary>
    public static void InsertWhole(SqliteConnection connection, SqliteTransaction transaction, StoredSession session)
    {
        ReplaceHeader(connection, transaction, session);
        foreach (var (seq, packetId, released, delivery) in DeliveryNumbers.InOrder(session))
        {
            InsertDelivery(connection, transaction, session.ClientId, seq, packetId == 0 ? null : packetId, released, delivery);
        }

        foreach (ushort id in session.IncomingQoS2)
        {
            Run(connection, transaction, "INSERT OR IGNORE INTO incoming_qos2 VALUES ($c, $id)", c =>
            {
                c.Parameters.AddWithValue("$c", session.ClientId);
                c.Parameters.AddWithValue("$id", (long)id);
            });
        }
    }

    /// <summary>The session's own row and its subscriptions; its deliveries and incoming ids stay as they are.</summary>
    public static void ReplaceHeader(SqliteConnection connection, SqliteTransaction transaction, StoredSession session)
    {
        Run(connection, transaction, "INSERT OR REPLACE INTO sessions VALUES ($c, $user, $expiry, $expiresAt, $will, $willAt, $lastId)", c =>
        {
            c.Parameters.AddWithValue("$c", session.ClientId);
            c.Parameters.AddWithValue("$user", (object?)session.Username ?? DBNull.Value);
            c.Parameters.AddWithValue("$expiry", (long)session.ExpiryInterval);
            c.Parameters.AddWithValue("$expiresAt", Time(session.ExpiresAtUtc));
            c.Parameters.AddWithValue("$will", session.Will is null ? DBNull.Value : StoredMessageCodec.Encode(session.Will));
            c.Parameters.AddWithValue("$willAt", Time(session.WillAtUtc));
            c.Parameters.AddWithValue("$lastId", (long)session.LastPacketId);
        });
        Run(connection, transaction, "DELETE FROM subscriptions WHERE client_id = $c", c => c.Parameters.AddWithValue("$c", session.ClientId));
        foreach (var s in session.Subscriptions)
        {
            Run(connection, transaction, "INSERT INTO subscriptions VALUES ($c, $f, $q, $nl, $rap, $rh, $id)", c =>
            {
                c.Parameters.AddWithValue("$c", session.ClientId);
                c.Parameters.AddWithValue("$f", s.Filter);
                c.Parameters.AddWithValue("$q", (long)s.QoS);
                c.Parameters.AddWithValue("$nl", s.NoLocal);
                c.Parameters.AddWithValue("$rap", s.RetainAsPublished);
                c.Parameters.AddWithValue("$rh", (long)s.RetainHandling);
                c.Parameters.AddWithValue("$id", (long)s.SubscriptionId);
            });
        }
    }

    public static void InsertDelivery(SqliteConnection connection, SqliteTransaction transaction, string clientId, long seq, ushort? packetId, bool released, StoredDelivery delivery) =>
        InsertDelivery(connection, transaction, clientId, seq, packetId, released, delivery.QoS, delivery.Retain, delivery.SubscriptionIds, StoredMessageCodec.Encode(delivery.Message));

    public static void InsertDelivery(SqliteConnection connection, SqliteTransaction transaction, string clientId, long seq, ushort? packetId, bool released, Mqtt.MqttQualityOfService qos, bool retain, uint[]? subscriptionIds, byte[] message) =>
        Run(connection, transaction, "INSERT OR REPLACE INTO deliveries VALUES ($c, $seq, $pid, $rel, $q, $r, $ids, $m)", c =>
        {
            c.Parameters.AddWithValue("$c", clientId);
            c.Parameters.AddWithValue("$seq", seq);
            c.Parameters.AddWithValue("$pid", packetId is { } id ? (long)id : DBNull.Value);
            c.Parameters.AddWithValue("$rel", released);
            c.Parameters.AddWithValue("$q", (long)qos);
            c.Parameters.AddWithValue("$r", retain);
            c.Parameters.AddWithValue("$ids", subscriptionIds is { } ids ? SubscriptionIdBytes.Encode(ids) : DBNull.Value);
            c.Parameters.AddWithValue("$m", message);
        });

    public static void Run(SqliteConnection connection, SqliteTransaction? transaction, string sql, Action<SqliteCommand> bind)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        bind(command);
        command.ExecuteNonQuery();
    }

    public static object Time(DateTimeOffset? time) => time is { } t ? t.ToUnixTimeMilliseconds() : DBNull.Value;
}

using Microsoft.Data.Sqlite;
using Starling.Broker.Storage;

namespace Starling.Storage.Sqlite;

/// <summary>
/// The SQLite write path (<see cref="GroupCommitJournal"/>): each batch is one transaction, committed with one sync
/// (synchronous=FULL), applied to the same tables the session and retained stores read at start.
/// </summary>
public sealed class SqliteJournal(SqliteDatabase database) : GroupCommitJournal(database.File)
{
    /// <inheritdoc />
    protected override void Commit(IReadOnlyList<JournalEntry> batch)
    {
        lock (database.Gate)
        {
            var connection = database.Connection;
            using var transaction = connection.BeginTransaction();
            foreach (var entry in batch)
            {
                Apply(connection, transaction, entry);
            }

            transaction.Commit();
        }
    }

    /// <inheritdoc />
    protected override bool IsStoreFailure(Exception exception, out bool full)
    {
        full = exception is SqliteException { SqliteErrorCode: 13 }; // SQLITE_FULL: the disk, or max_page_count
        return exception is SqliteException or InvalidOperationException or IOException;
    }

    private void Apply(SqliteConnection connection, SqliteTransaction transaction, JournalEntry entry)
    {
        switch (entry.Kind)
        {
            case JournalEntryKind.SessionReplaced:
                SessionRows.DeleteAll(connection, transaction, entry.ClientId);
                SessionRows.InsertWhole(connection, transaction, entry.Record!);
                break;
            case JournalEntryKind.SessionUpdated:
                SessionRows.ReplaceHeader(connection, transaction, entry.Record!);
                break;
            case JournalEntryKind.SessionDeleted:
                SessionRows.DeleteAll(connection, transaction, entry.ClientId);
                break;
            case JournalEntryKind.DeliveryAdded:
                var delivery = entry.Delivery!.Value;
                SessionRows.InsertDelivery(connection, transaction, entry.ClientId, entry.Sequence, entry.PacketId == 0 ? null : entry.PacketId, false, delivery.QoS, delivery.Retain, delivery.SubscriptionIds, Encoded(delivery.Message));
                break;
            case JournalEntryKind.DeliverySent:
                Run(connection, transaction, "UPDATE deliveries SET packet_id = $p WHERE client_id = $c AND seq = $s", entry);
                break;
            case JournalEntryKind.DeliveryReleased:
                Run(connection, transaction, "UPDATE deliveries SET released = 1 WHERE client_id = $c AND seq = $s", entry);
                break;
            case JournalEntryKind.DeliveryRemoved:
                Run(connection, transaction, "DELETE FROM deliveries WHERE client_id = $c AND seq = $s", entry);
                break;
            case JournalEntryKind.IncomingAdded:
                Run(connection, transaction, "INSERT OR IGNORE INTO incoming_qos2 VALUES ($c, $p)", entry);
                break;
            case JournalEntryKind.IncomingReleased:
                Run(connection, transaction, "DELETE FROM incoming_qos2 WHERE client_id = $c AND packet_id = $p", entry);
                break;
            case JournalEntryKind.RetainedSet:
                RetainedRows.Set(connection, transaction, entry.Retained!);
                break;
            case JournalEntryKind.RetainedRemoved:
                RetainedRows.Remove(connection, transaction, entry.ClientId);
                break;
            default:
                throw new InvalidOperationException($"Unknown journal entry kind {entry.Kind}.");
        }
    }

    private static void Run(SqliteConnection connection, SqliteTransaction transaction, string sql, JournalEntry entry) =>
        SessionRows.Run(connection, transaction, sql, c =>
        {
            c.Parameters.AddWithValue("$c", entry.ClientId);
            c.Parameters.AddWithValue("$s", entry.Sequence);
            c.Parameters.AddWithValue("$p", (long)entry.PacketId);
        });
}

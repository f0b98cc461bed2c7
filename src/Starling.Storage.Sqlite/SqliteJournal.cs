using Microsoft.Data.Sqlite;
using Starling.Broker.Storage;

namespace Starling.Storage.Sqlite;

/// <summary>
/// The SQLite write path (<see cref="GroupCommitJournal"/>): each batch is one transaction, committed with one sync
/// (synchronous=FULL), applied to the same tables the session and retained stores read at start.
/// </summary>
public sealed class SqliteJournal(SqliteDatabase database) : GroupCommitJournal(database.File)
{
    private readonly PreparedStatements _statements = new(database.Connection);

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
                _statements.Run(
                    transaction,
                    "INSERT OR REPLACE INTO deliveries VALUES ($1, $2, $3, 0, $4, $5, $6, $7)",
                    entry.ClientId,
                    entry.Sequence,
                    entry.PacketId == 0 ? null : (long)entry.PacketId,
                    (long)delivery.QoS,
                    delivery.Retain ? 1L : 0L,
                    delivery.SubscriptionIds is { } ids ? SubscriptionIdBytes.Encode(ids) : null,
                    Encoded(delivery.Message));
                break;
            case JournalEntryKind.DeliverySent:
                _statements.Run(transaction, "UPDATE deliveries SET packet_id = $3 WHERE client_id = $1 AND seq = $2", entry.ClientId, entry.Sequence, (long)entry.PacketId);
                break;
            case JournalEntryKind.DeliveryReleased:
                _statements.Run(transaction, "UPDATE deliveries SET released = 1 WHERE client_id = $1 AND seq = $2", entry.ClientId, entry.Sequence);
                break;
            case JournalEntryKind.DeliveryRemoved:
                _statements.Run(transaction, "DELETE FROM deliveries WHERE client_id = $1 AND seq = $2", entry.ClientId, entry.Sequence);
                break;
            case JournalEntryKind.IncomingAdded:
                _statements.Run(transaction, "INSERT OR IGNORE INTO incoming_qos2 VALUES ($1, $2)", entry.ClientId, (long)entry.PacketId);
                break;
            case JournalEntryKind.IncomingReleased:
                _statements.Run(transaction, "DELETE FROM incoming_qos2 WHERE client_id = $1 AND packet_id = $2", entry.ClientId, (long)entry.PacketId);
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

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing); // the last commit first
        if (disposing)
        {
            lock (database.Gate)
            {
                _statements.Dispose();
            }
        }
    }
}

using StackExchange.Redis;
using Starling.Broker.Storage;

namespace Starling.Storage.Redis;

/// <summary>
/// The Redis write path (<see cref="GroupCommitJournal"/>): each batch is one MULTI/EXEC, and a commit is durable when
/// Redis has acknowledged it: on Redis's disk only with <c>appendonly yes</c> and <c>appendfsync always</c>, which
/// syncs the AOF before replying (see docs/persistence.md for the other settings' trade-offs).
/// </summary>
public sealed class RedisJournal(RedisDatabase database) : GroupCommitJournal("redis " + database.Server)
{
    /// <inheritdoc />
    protected override void Commit(IReadOnlyList<JournalEntry> batch) =>
        RedisRows.InTransaction(database, transaction =>
        {
            foreach (var entry in batch)
            {
                Apply(transaction, entry);
            }
        });

    /// <inheritdoc />
    protected override bool IsStoreFailure(Exception exception, out bool full)
    {
        // OOM: past maxmemory; MISCONF: Redis cannot write its snapshot (often a full disk).
        full = exception is RedisServerException server && (server.Message.StartsWith("OOM", StringComparison.Ordinal) || server.Message.StartsWith("MISCONF", StringComparison.Ordinal));
        return exception is RedisException or TimeoutException or ObjectDisposedException;
    }

    private void Apply(ITransaction db, JournalEntry entry)
    {
        var keys = database.Keys;
        switch (entry.Kind)
        {
            case JournalEntryKind.SessionReplaced:
                RedisRows.DeleteAll(db, keys, entry.ClientId);
                RedisRows.InsertWhole(db, keys, entry.Record!);
                break;
            case JournalEntryKind.SessionUpdated:
                RedisRows.ReplaceHeader(db, keys, entry.Record!);
                break;
            case JournalEntryKind.SessionDeleted:
                RedisRows.DeleteAll(db, keys, entry.ClientId);
                break;
            case JournalEntryKind.DeliveryAdded:
                var delivery = entry.Delivery!.Value;
                RedisRows.InsertDelivery(db, keys, entry.ClientId, entry.Sequence, entry.PacketId, false, DeliveryCodec.Encode(delivery.QoS, delivery.Retain, delivery.SubscriptionIds, Encoded(delivery.Message)));
                break;
            case JournalEntryKind.DeliverySent:
                RedisRows.Sent(db, keys, entry.ClientId, entry.Sequence, entry.PacketId);
                break;
            case JournalEntryKind.DeliveryReleased:
                RedisRows.Released(db, keys, entry.ClientId, entry.Sequence);
                break;
            case JournalEntryKind.DeliveryRemoved:
                RedisRows.RemoveDelivery(db, keys, entry.ClientId, entry.Sequence);
                break;
            case JournalEntryKind.IncomingAdded:
                RedisRows.IncomingAdded(db, keys, entry.ClientId, entry.PacketId);
                break;
            case JournalEntryKind.IncomingReleased:
                RedisRows.IncomingReleased(db, keys, entry.ClientId, entry.PacketId);
                break;
            case JournalEntryKind.RetainedSet:
                RedisRows.RetainedSet(db, keys, entry.ClientId, StoredMessageCodec.Encode(entry.Retained!.ToStored()));
                break;
            case JournalEntryKind.RetainedRemoved:
                RedisRows.RetainedRemoved(db, keys, entry.ClientId);
                break;
            default:
                throw new InvalidOperationException($"Unknown journal entry kind {entry.Kind}.");
        }
    }
}

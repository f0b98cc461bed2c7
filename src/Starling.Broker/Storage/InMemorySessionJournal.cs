namespace Starling.Broker.Storage;

/// <summary>
/// The journal contract in memory: each batch is applied to an <see cref="InMemorySessionStateStore"/> and an
/// <see cref="InMemoryRetainedMessageStore"/>, so they hold what a durable backend would load after a restart. The
/// reference implementation the journal contract tests run beside SQLite and Redis, and a journal for an embedding host
/// that wants the durable code path without a disk. <see cref="Failing"/> makes commits fail, as a full disk would.
/// </summary>
public sealed class InMemorySessionJournal(InMemorySessionStateStore sessions, InMemoryRetainedMessageStore retained) : GroupCommitJournal("memory")
{
    /// <summary>While true, every commit fails (a store that cannot take more).</summary>
    public bool Failing { get; set; }

    /// <inheritdoc />
    protected override void Commit(IReadOnlyList<JournalEntry> batch)
    {
        if (Failing)
        {
            throw new InvalidOperationException("The in-memory store is set to fail.");
        }

        foreach (var entry in batch)
        {
            Apply(entry);
        }
    }

    /// <inheritdoc />
    protected override bool IsStoreFailure(Exception exception, out bool full)
    {
        full = false;
        return exception is InvalidOperationException;
    }

    private void Apply(JournalEntry entry)
    {
        switch (entry.Kind)
        {
            case JournalEntryKind.SessionReplaced:
                var record = entry.Record!;
                var numbered = DeliveryNumbers.InOrder(record).ToList();
                sessions.Save(record with
                {
                    Inflight = [.. numbered.Where(d => d.PacketId != 0).Select(d => new StoredInflight(d.PacketId, d.Delivery with { Sequence = d.Sequence }, d.Released))],
                    Pending = [.. numbered.Where(d => d.PacketId == 0).Select(d => d.Delivery with { Sequence = d.Sequence })],
                });
                break;
            case JournalEntryKind.SessionUpdated:
                Change(entry.ClientId, s => entry.Record! with { Inflight = s.Inflight, Pending = s.Pending, IncomingQoS2 = s.IncomingQoS2 });
                break;
            case JournalEntryKind.SessionDeleted:
                sessions.Delete(entry.ClientId);
                break;
            case JournalEntryKind.DeliveryAdded:
                var live = entry.Delivery!.Value;
                var delivery = new StoredDelivery(live.Message.ToStored(), live.QoS, live.Retain, live.SubscriptionIds, entry.Sequence);
                Change(entry.ClientId, s => entry.PacketId == 0
                    ? s with { Pending = [.. s.Pending, delivery] }
                    : s with { Inflight = [.. s.Inflight, new StoredInflight(entry.PacketId, delivery, Released: false)] });
                break;
            case JournalEntryKind.DeliverySent:
                Change(entry.ClientId, s => s.Pending.FirstOrDefault(p => p.Sequence == entry.Sequence) is { } sent
                    ? s with { Pending = [.. s.Pending.Where(p => p != sent)], Inflight = [.. s.Inflight, new StoredInflight(entry.PacketId, sent, Released: false)] }
                    : s);
                break;
            case JournalEntryKind.DeliveryReleased:
                Change(entry.ClientId, s => s with { Inflight = [.. s.Inflight.Select(i => i.Delivery.Sequence == entry.Sequence ? i with { Released = true } : i)] });
                break;
            case JournalEntryKind.DeliveryRemoved:
                Change(entry.ClientId, s => s with
                {
                    Inflight = [.. s.Inflight.Where(i => i.Delivery.Sequence != entry.Sequence)],
                    Pending = [.. s.Pending.Where(p => p.Sequence != entry.Sequence)],
                });
                break;
            case JournalEntryKind.IncomingAdded:
                Change(entry.ClientId, s => s.IncomingQoS2.Contains(entry.PacketId) ? s : s with { IncomingQoS2 = [.. s.IncomingQoS2, entry.PacketId] });
                break;
            case JournalEntryKind.IncomingReleased:
                Change(entry.ClientId, s => s with { IncomingQoS2 = [.. s.IncomingQoS2.Where(id => id != entry.PacketId)] });
                break;
            case JournalEntryKind.RetainedSet:
                retained.Set(entry.Retained!);
                break;
            case JournalEntryKind.RetainedRemoved:
                retained.Remove(entry.ClientId);
                break;
            default:
                throw new ArgumentException($"Unknown journal entry kind {entry.Kind}.", nameof(entry));
        }
    }

    /// <summary>Replaces the client's record by <paramref name="change"/> of it; nothing when it has none (as a row update would).</summary>
    private void Change(string clientId, Func<StoredSession, StoredSession> change)
    {
        if (sessions.TryGet(clientId, out var record))
        {
            var changed = change(record);

            // Kept in number order, the queue's order, as a store that sorts its rows by number loads them.
            sessions.Save(changed with
            {
                Inflight = [.. changed.Inflight.OrderBy(i => i.Delivery.Sequence)],
                Pending = [.. changed.Pending.OrderBy(p => p.Sequence)],
            });
        }
    }
}

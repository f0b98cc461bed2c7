using Microsoft.Data.Sqlite;
using Starling.Broker.Routing;
using Starling.Broker.Storage;

namespace Starling.Storage.Sqlite;

/// <summary>
/// The SQLite write path with group commit: entries appended from any thread wait in memory; one committer thread
/// takes everything pending, writes it in one transaction and commits (one sync, with synchronous=FULL), then tells
/// every waiter at once. Under load a commit carries many clients' entries, which is where the throughput comes from:
/// a sync costs about the same for one row as for thousands.
/// </summary>
public sealed class SqliteJournal : ISessionJournal, IDisposable
{
    private readonly SqliteDatabase _database;
    private readonly object _gate = new();
    private readonly Thread _committer;
    private List<JournalEntry> _pending = [];
    private List<JournalEntry>? _spare = [];
    private TaskCompletionSource _nextCommit = NewCommit();
    private TaskCompletionSource? _committing;
    private long _committingUpTo;
    private long _appended;
    private long _durable;
    private StoreFailedException? _failure;
    private long _failedAt;
    private bool _stopping;

    public SqliteJournal(SqliteDatabase database)
    {
        _database = database;
        _committer = new Thread(CommitLoop) { IsBackground = true, Name = "Starling SQLite commit" };
        _committer.Start();
    }

    /// <summary>Commits so far, and the entries they carried: the batch size is entries ÷ commits.</summary>
    public (long Commits, long Entries) Totals => (Interlocked.Read(ref _commits), Interlocked.Read(ref _committedEntries));

    private long _commits;
    private long _committedEntries;

    /// <inheritdoc />
    public long DurablePosition => Volatile.Read(ref _durable);

    /// <inheritdoc />
    public StoreFailedException? RecentFailure =>
        Volatile.Read(ref _failure) is { } failure && Environment.TickCount64 - Volatile.Read(ref _failedAt) < 1000 ? failure : null;

    /// <inheritdoc />
    public long Append(JournalEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            _pending.Add(entry);
            if (_pending.Count == 1)
            {
                Monitor.Pulse(_gate);
            }

            return ++_appended;
        }
    }

    /// <inheritdoc />
    public ValueTask WhenDurableAsync(long position)
    {
        if (Volatile.Read(ref _durable) >= position)
        {
            return ValueTask.CompletedTask;
        }

        Task commit;
        lock (_gate)
        {
            if (_failure is not null)
            {
                return ValueTask.FromException(_failure);
            }

            if (_durable >= position)
            {
                return ValueTask.CompletedTask;
            }

            commit = CommitCoveringLocked(position);
        }

        return new ValueTask(WaitAsync(position, commit));
    }

    /// <summary>Commits what is pending, then stops the committer.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _stopping = true;
            Monitor.Pulse(_gate);
        }

        _committer.Join();
    }

    private async Task WaitAsync(long position, Task commit)
    {
        while (true)
        {
            await commit.ConfigureAwait(false);
            if (Volatile.Read(ref _durable) >= position)
            {
                return;
            }

            lock (_gate)
            {
                commit = CommitCoveringLocked(position);
            }
        }
    }

    /// <summary>
    /// The commit that will make <paramref name="position"/> durable: the one running, when it carries the entry,
    /// else the next. Waiting on the next while the running one carries the entry would wait for an append that may
    /// never come.
    /// </summary>
    private Task CommitCoveringLocked(long position) =>
        _committing is { } running && position <= _committingUpTo ? running.Task : _nextCommit.Task;

    private void CommitLoop()
    {
        while (true)
        {
            List<JournalEntry> batch;
            long upTo;
            TaskCompletionSource done;
            lock (_gate)
            {
                while (_pending.Count == 0 && !_stopping)
                {
                    Monitor.Wait(_gate);
                }

                if (_pending.Count == 0)
                {
                    return; // stopping, and nothing left
                }

                batch = _pending;
                _pending = _spare ?? [];
                _spare = null;
                upTo = _appended;
                done = _nextCommit;
                _nextCommit = NewCommit();
                _committing = done;
                _committingUpTo = upTo;
            }

            try
            {
                Commit(batch);
                Volatile.Write(ref _durable, upTo);
                Volatile.Write(ref _failure, null); // the store works again (space was freed)
                Interlocked.Increment(ref _commits);
                Interlocked.Add(ref _committedEntries, batch.Count);
                done.TrySetResult();
            }
            catch (Exception ex) when (ex is SqliteException or InvalidOperationException or IOException)
            {
                // Nothing of this batch is durable, and nothing after it may be acknowledged as if it were.
                var failure = new StoreFailedException($"The store '{_database.File}' could not commit: {ex.Message}", ex)
                {
                    IsFull = ex is SqliteException { SqliteErrorCode: 13 }, // SQLITE_FULL: the disk, or max_page_count
                };
                lock (_gate)
                {
                    Volatile.Write(ref _failedAt, Environment.TickCount64);
                    _failure = failure;
                }

                done.TrySetException(failure);
            }

            batch.Clear();
            lock (_gate)
            {
                _spare = batch;
            }
        }
    }

    private void Commit(List<JournalEntry> batch)
    {
        var encoded = new Dictionary<ApplicationMessage, byte[]>(ReferenceEqualityComparer.Instance);
        lock (_database.Gate)
        {
            var connection = _database.Connection;
            using var transaction = connection.BeginTransaction();
            foreach (var entry in batch)
            {
                Apply(connection, transaction, entry, encoded);
            }

            transaction.Commit();
        }
    }

    private static void Apply(SqliteConnection connection, SqliteTransaction transaction, JournalEntry entry, Dictionary<ApplicationMessage, byte[]> encoded)
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
                if (!encoded.TryGetValue(delivery.Message, out var message))
                {
                    // Once per message in a commit, however many sessions it went to.
                    encoded[delivery.Message] = message = StoredMessageCodec.Encode(delivery.Message.ToStored());
                }

                SessionRows.InsertDelivery(connection, transaction, entry.ClientId, entry.Sequence, entry.PacketId == 0 ? null : entry.PacketId, false, delivery.QoS, delivery.Retain, delivery.SubscriptionIds, message);
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

    private static TaskCompletionSource NewCommit() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

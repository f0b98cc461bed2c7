using System.Buffers;
using Microsoft.Data.Sqlite;
using Starling.Broker.Routing;
using Starling.Broker.Storage;

namespace Starling.Storage.Sqlite;

/// <summary>
/// The SQLite write path (<see cref="GroupCommitJournal"/>): each batch is one transaction, committed with one sync
/// (synchronous=FULL). A batch of per-message entries only is one record of the log file (<see cref="JournalLog"/>,
/// <see cref="JournalLogFile"/>) instead; the log is applied to the tables the session and retained stores read at
/// start once it holds
/// <see cref="UnappliedEntriesLimit"/> entries or <see cref="UnappliedBytesLimit"/> bytes, when another kind of
/// entry comes (the log is applied first, in the same transaction, so the order holds), and at stop.
/// </summary>
public sealed class SqliteJournal : GroupCommitJournal
{
    /// <summary>
    /// Entries the log holds before it is applied: enough for nearly every delivery to be acknowledged within the
    /// span (then it is never written to the tables), few enough that a replay at start takes a moment.
    /// </summary>
    public const int UnappliedEntriesLimit = 32_768;

    /// <summary>The log's encoded size before it is applied (large messages reach this before the entry count).</summary>
    public const long UnappliedBytesLimit = 8L * 1024 * 1024;

    /// <summary>ENOSPC: on Unix an <see cref="IOException"/>'s HResult is the errno.</summary>
    private const int NoSpaceLeft = 28;

    private readonly SqliteDatabase _database;
    private readonly DeliveryRows _rows;
    private readonly Func<ApplicationMessage, byte[]> _encode;
    private readonly ArrayBufferWriter<byte> _logBuffer = new();

    /// <summary>What the log holds, in order: committed, not yet in the tables.</summary>
    private readonly List<JournalEntry> _unapplied = [];
    private readonly JournalBatch _shortener = new();
    private readonly List<JournalEntry> _toApply = [];
    private long _unappliedBytes;
    private long _applications;

    public SqliteJournal(SqliteDatabase database)
        : base((database ?? throw new ArgumentNullException(nameof(database))).File)
    {
        _database = database;
        _rows = new DeliveryRows(database.Connection);
        _encode = Encoded;
        database.ApplyLog = () =>
        {
            if (_unapplied.Count > 0)
            {
                ApplyLocked([]);
            }
        };
    }

    /// <summary>How many times the log was applied to the tables.</summary>
    public long Applications => Interlocked.Read(ref _applications);

    /// <inheritdoc />
    protected override void Commit(IReadOnlyList<JournalEntry> batch)
    {
        lock (_database.Gate)
        {
            if (_unapplied.Count + batch.Count <= UnappliedEntriesLimit && _unappliedBytes < UnappliedBytesLimit && AllLogged(batch))
            {
                var record = JournalLog.Encode(batch, _encode, _logBuffer);
                if (Fits(record.Length))
                {
                    _database.Log.Append(record);
                    _unapplied.AddRange(batch); // only once written: a failed batch is not in the log
                    _unappliedBytes += record.Length;
                    return;
                }

                // Over the size cap: applied to the tables, the log's added-then-acknowledged deliveries take no room.
            }

            ApplyLocked(batch);
        }
    }

    /// <inheritdoc />
    protected override bool IsStoreFailure(Exception exception, out bool full)
    {
        // SQLITE_FULL (the disk, or max_page_count), or ENOSPC writing the log file
        full = exception is SqliteException { SqliteErrorCode: 13 } || (exception is IOException && exception.HResult == NoSpaceLeft);
        return exception is SqliteException or InvalidOperationException or IOException; // ObjectDisposedException is an InvalidOperationException: the store was closed
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing); // the last commit first
        if (disposing)
        {
            lock (_database.Gate)
            {
                _database.ApplyLog = null;
                try
                {
                    if (_unapplied.Count > 0)
                    {
                        ApplyLocked([]); // a stopped store is its tables; the next start has nothing to replay
                    }

                    _database.Log.Truncate();
                }
                catch (Exception ex) when (ex is SqliteException or IOException or InvalidOperationException)
                {
                    // The log stays in the file, committed: the next start replays it.
                }
                finally
                {
                    _rows.Dispose();
                }
            }
        }
    }

    /// <summary>Whether a record of <paramref name="recordLength"/> bytes keeps the store within <see cref="SqliteDatabase.MaximumSizeBytes"/>.</summary>
    private bool Fits(int recordLength) =>
        _database.MaximumSizeBytes <= 0 || _database.SizeBytes + _database.Log.Length + recordLength <= _database.MaximumSizeBytes;

    private static bool AllLogged(IReadOnlyList<JournalEntry> batch)
    {
        foreach (var entry in batch)
        {
            if (!JournalLog.IsLogged(entry.Kind))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// One transaction: the log's entries then <paramref name="batch"/> into the tables, shortened together (a delivery
    /// added and acknowledged anywhere in the span is not written), and the log emptied.
    /// </summary>
    private void ApplyLocked(IReadOnlyList<JournalEntry> batch)
    {
        var connection = _database.Connection;
        int logged = _unapplied.Count;
        _unapplied.AddRange(batch);
        try
        {
            _shortener.Shorten(_unapplied, _toApply);
            using var transaction = connection.BeginTransaction();
            foreach (var entry in _toApply)
            {
                Apply(connection, transaction, entry);
            }

            if (logged > 0)
            {
                _rows.SetApplied(transaction, _database.Log.NextBatch - 1);
            }

            transaction.Commit();
            if (logged > 0)
            {
                _database.Log.Restart(); // the tables hold it now: its records are written over
            }

            _unapplied.Clear();
            _unappliedBytes = 0;
            Interlocked.Increment(ref _applications);
        }
        catch
        {
            _unapplied.RemoveRange(logged, _unapplied.Count - logged); // the log is as it was; the batch failed
            throw;
        }
        finally
        {
            _toApply.Clear();
        }
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
                _rows.Add(
                    transaction,
                    entry.ClientId,
                    entry.Sequence,
                    entry.PacketId,
                    (byte)delivery.QoS,
                    delivery.Retain,
                    delivery.SubscriptionIds is { } ids ? SubscriptionIdBytes.Encode(ids) : null,
                    Encoded(delivery.Message));
                break;
            case JournalEntryKind.DeliverySent:
                _rows.Sent(transaction, entry.ClientId, entry.Sequence, entry.PacketId);
                break;
            case JournalEntryKind.DeliveryReleased:
                _rows.Released(transaction, entry.ClientId, entry.Sequence);
                break;
            case JournalEntryKind.DeliveryRemoved:
                _rows.Removed(transaction, entry.ClientId, entry.Sequence);
                break;
            case JournalEntryKind.IncomingAdded:
                _rows.IncomingAdded(transaction, entry.ClientId, entry.PacketId);
                break;
            case JournalEntryKind.IncomingReleased:
                _rows.IncomingReleased(transaction, entry.ClientId, entry.PacketId);
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
}

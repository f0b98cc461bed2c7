using Starling.Broker.Routing;

namespace Starling.Broker.Storage;

/// <summary>
/// The group commit every durable backend shares: entries appended from any thread wait in memory; one committer
/// thread takes everything pending, hands it to <see cref="Commit"/> as one batch (for SQLite one transaction and one
/// sync, for Redis one pipeline), then tells every waiter at once. Under load a batch carries many clients' entries,
/// which is where the throughput comes from: a sync costs about the same for one entry as for thousands.
/// </summary>
public abstract class GroupCommitJournal : ISessionJournal, IDisposable
{
    /// <summary>The meter of the store's commit metrics (<c>starling.store.commit.duration</c>, <c>starling.store.commit.batch_size</c>).</summary>
    public const string MeterName = "Starling.Broker.Storage";

    private static readonly System.Diagnostics.Metrics.Meter Meter = new(MeterName);
    private static readonly System.Diagnostics.Metrics.Histogram<double> CommitDuration = Meter.CreateHistogram<double>("starling.store.commit.duration", unit: "ms", description: "How long one group commit took (the write and its sync)");
    private static readonly System.Diagnostics.Metrics.Histogram<long> CommitBatchSize = Meter.CreateHistogram<long>("starling.store.commit.batch_size", unit: "{entry}", description: "Journal entries one group commit carried");

    private readonly object _gate = new();
    private readonly Thread _committer;
    private readonly Dictionary<ApplicationMessage, byte[]> _encoded = new(ReferenceEqualityComparer.Instance);
    private readonly JournalBatch _shortener = new();
    private readonly List<JournalEntry> _written = [];
    private List<JournalEntry> _pending = [];
    private List<JournalEntry>? _spare = [];
    private TaskCompletionSource _nextCommit = NewCommit();
    private TaskCompletionSource? _committing;
    private long _committingUpTo;

    /// <summary>The positions of the last batches that failed (a few; waiters ask soon after they append).</summary>
    private readonly Queue<(long From, long To, StoreFailedException Failure)> _failedBatches = new();
    private const int FailedBatchesKept = 64;
    private long _appended;
    private long _durable;
    private long _commits;
    private long _committedEntries;
    private StoreFailedException? _failure;
    private long _failedAt;
    private bool _stopping;

    /// <param name="name">What the store is (a file, a server), for error messages and the committer thread's name.</param>
    protected GroupCommitJournal(string name)
    {
        Name = name;
        _committer = new Thread(CommitLoop) { IsBackground = true, Name = "Starling commit" };
        _committer.Start();
    }

    /// <summary>What the store is, as error messages name it.</summary>
    public string Name { get; }

    /// <summary>Commits so far, and the entries they carried: the batch size is entries ÷ commits (entries counts those a shortened batch left out too).</summary>
    public (long Commits, long Entries) Totals => (Interlocked.Read(ref _commits), Interlocked.Read(ref _committedEntries));

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
        if (Volatile.Read(ref _durable) >= position && _failedBatches.Count == 0)
        {
            return ValueTask.CompletedTask;
        }

        Task commit;
        lock (_gate)
        {
            foreach (var (from, to, failure) in _failedBatches)
            {
                if (position >= from && position <= to)
                {
                    return ValueTask.FromException(failure); // its batch failed: a later commit does not make it durable
                }
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
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Stops the committer after the last commit; a backend closes its store after calling this.</summary>
    protected virtual void Dispose(bool disposing)
    {
        lock (_gate)
        {
            if (_stopping)
            {
                return;
            }

            _stopping = true;
            Monitor.Pulse(_gate);
        }

        _committer.Join();
    }

    /// <summary>Writes <paramref name="batch"/>, in order, and returns once it is durable; throws when it cannot be.</summary>
    protected abstract void Commit(IReadOnlyList<JournalEntry> batch);

    /// <summary>Whether <paramref name="exception"/>, thrown by <see cref="Commit"/>, means the store failed (and whether for lack of space).</summary>
    protected abstract bool IsStoreFailure(Exception exception, out bool full);

    /// <summary>A delivery's message encoded (<see cref="StoredMessageCodec"/>): once per message in a batch, however many sessions it went to.</summary>
    protected byte[] Encoded(ApplicationMessage message)
    {
        if (!_encoded.TryGetValue(message, out var bytes))
        {
            _encoded[message] = bytes = StoredMessageCodec.Encode(message.ToStored());
        }

        return bytes;
    }

    private static TaskCompletionSource NewCommit() => new(TaskCreationOptions.RunContinuationsAsynchronously);

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
            long from;
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
                from = _committingUpTo + 1;
                upTo = _appended;
                done = _nextCommit;
                _nextCommit = NewCommit();
                _committing = done;
                _committingUpTo = upTo;
            }

            try
            {
                long started = System.Diagnostics.Stopwatch.GetTimestamp();
                _shortener.Shorten(batch, _written);
                if (_written.Count > 0)
                {
                    Commit(_written);
                }

                Volatile.Write(ref _durable, upTo);
                Volatile.Write(ref _failure, null); // the store works again (space was freed, the server is back)
                Interlocked.Increment(ref _commits);
                Interlocked.Add(ref _committedEntries, batch.Count);
                CommitDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                CommitBatchSize.Record(batch.Count);
                done.TrySetResult();
            }
            catch (Exception ex) when (IsStoreFailure(ex, out bool full))
            {
                // Nothing of this batch is durable, and nothing after it may be acknowledged as if it were.
                var failure = new StoreFailedException($"The store '{Name}' could not commit: {ex.Message}", ex) { IsFull = full };
                lock (_gate)
                {
                    Volatile.Write(ref _failedAt, Environment.TickCount64);
                    _failure = failure;
                    _failedBatches.Enqueue((from, upTo, failure));
                    if (_failedBatches.Count > FailedBatchesKept)
                    {
                        _failedBatches.Dequeue();
                    }
                }

                done.TrySetException(failure);
            }
            finally
            {
                _encoded.Clear();
                _written.Clear();
            }

            batch.Clear();
            lock (_gate)
            {
                _spare = batch;
            }
        }
    }
}

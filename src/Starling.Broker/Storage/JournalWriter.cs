namespace Starling.Broker.Storage;

/// <summary>
/// The engine's side of an <see cref="ISessionJournal"/>: appends entries and remembers, per thread, the last position
/// appended since <see cref="BeginTracking"/>. A PUBLISH is routed synchronously on its connection's thread, so what
/// the routing appended (the copies queued for persistent sessions, the retained update) is what that thread appended,
/// and the acknowledgement waits for exactly that position; a publish that appended nothing is acknowledged at once.
/// </summary>
internal sealed class JournalWriter(ISessionJournal journal)
{
    [ThreadStatic]
    private static long t_lastAppended;

    /// <summary>The position up to which every entry is committed.</summary>
    public long DurablePosition => journal.DurablePosition;

    /// <summary>Starts counting what this thread appends.</summary>
    public static void BeginTracking() => t_lastAppended = 0;

    /// <summary>The last position this thread appended since <see cref="BeginTracking"/>, 0 when none; stops counting.</summary>
    public static long EndTracking()
    {
        long position = t_lastAppended;
        t_lastAppended = 0;
        return position;
    }

    /// <summary>Queues <paramref name="entry"/> for the next commit and returns its position.</summary>
    public long Append(JournalEntry entry)
    {
        long position = journal.Append(entry);
        if (position > t_lastAppended)
        {
            t_lastAppended = position;
        }

        return position;
    }

    /// <summary>The last commit's failure if it was recent (see <see cref="ISessionJournal.RecentFailure"/>).</summary>
    public StoreFailedException? RecentFailure => journal.RecentFailure;

    /// <summary>Completes once <paramref name="position"/> is durable; faults with <see cref="StoreFailedException"/> when it cannot be.</summary>
    public ValueTask WhenDurableAsync(long position) => journal.WhenDurableAsync(position);
}

namespace Starling.Broker.Storage;

/// <summary>
/// A durable backend's write path: the engine appends every change to the persistable state as it makes it, and holds
/// an acknowledgement (PUBACK, PUBREC, SUBACK) until the changes it depends on are durable. The backend commits
/// whatever is pending together (group commit), so one sync serves many clients, and <see cref="Append"/> never
/// waits for the disk.
/// </summary>
public interface ISessionJournal
{
    /// <summary>Queues <paramref name="entry"/> for the next commit and returns its position (1, 2, 3...).</summary>
    long Append(JournalEntry entry);

    /// <summary>The position up to which every entry is committed.</summary>
    long DurablePosition { get; }

    /// <summary>
    /// Completes once every entry up to <paramref name="position"/> is committed; at once when it already is. Faults
    /// with <see cref="StoreFailedException"/> when the backend cannot commit (a full disk, a lost connection).
    /// </summary>
    ValueTask WhenDurableAsync(long position);

    /// <summary>
    /// The failure of the last commit, when it failed in the last second, else null: while the store fails, new QoS 1/2
    /// publishes are refused before they are routed, rather than delivered and then refused.
    /// </summary>
    StoreFailedException? RecentFailure => null;
}

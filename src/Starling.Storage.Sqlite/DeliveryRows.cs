using Microsoft.Data.Sqlite;

namespace Starling.Storage.Sqlite;

/// <summary>
/// The per-message rows (deliveries and incoming QoS 2 ids) through statements compiled once: written by the journal
/// when it applies its log to the tables, and by the replay of a log left behind by a crash.
/// </summary>
internal sealed class DeliveryRows(SqliteConnection connection) : IDisposable
{
    private readonly PreparedStatements _statements = new(connection);

    public void Add(SqliteTransaction transaction, string clientId, long sequence, ushort packetId, byte qos, bool retain, byte[]? subscriptionIds, byte[] message) =>
        _statements.Run(
            transaction,
            "INSERT OR REPLACE INTO deliveries VALUES ($1, $2, $3, 0, $4, $5, $6, $7)",
            clientId,
            sequence,
            packetId == 0 ? null : (long)packetId,
            (long)qos,
            retain ? 1L : 0L,
            subscriptionIds,
            message);

    public void Sent(SqliteTransaction transaction, string clientId, long sequence, ushort packetId) =>
        _statements.Run(transaction, "UPDATE deliveries SET packet_id = $3 WHERE client_id = $1 AND seq = $2", clientId, sequence, (long)packetId);

    public void Released(SqliteTransaction transaction, string clientId, long sequence) =>
        _statements.Run(transaction, "UPDATE deliveries SET released = 1 WHERE client_id = $1 AND seq = $2", clientId, sequence);

    public void Removed(SqliteTransaction transaction, string clientId, long sequence) =>
        _statements.Run(transaction, "DELETE FROM deliveries WHERE client_id = $1 AND seq = $2", clientId, sequence);

    public void IncomingAdded(SqliteTransaction transaction, string clientId, ushort packetId) =>
        _statements.Run(transaction, "INSERT OR IGNORE INTO incoming_qos2 VALUES ($1, $2)", clientId, (long)packetId);

    public void IncomingReleased(SqliteTransaction transaction, string clientId, ushort packetId) =>
        _statements.Run(transaction, "DELETE FROM incoming_qos2 WHERE client_id = $1 AND packet_id = $2", clientId, (long)packetId);

    /// <summary>Records that the tables hold the log up to <paramref name="batch"/> (<see cref="JournalLogFile"/>).</summary>
    public void SetApplied(SqliteTransaction transaction, long batch) =>
        _statements.Run(transaction, "UPDATE journal_applied SET batch = $1", batch);

    public void Dispose() => _statements.Dispose();
}

using System.Globalization;
using StackExchange.Redis;
using Starling.Broker.Storage;

namespace Starling.Storage.Redis;

/// <summary>
/// Session records in Redis (<see cref="RedisKeys"/>): a save replaces the client's keys in one MULTI/EXEC, so Redis
/// holds either the old record or the new one, never half of each.
/// </summary>
public sealed class RedisSessionStateStore(RedisDatabase database) : ISessionStateStore
{
    /// <inheritdoc />
    public void Save(StoredSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        RedisRows.InTransaction(database, t =>
        {
            RedisRows.DeleteAll(t, database.Keys, session.ClientId);
            RedisRows.InsertWhole(t, database.Keys, session);
        });
    }

    /// <inheritdoc />
    public void Delete(string clientId) => RedisRows.InTransaction(database, t => RedisRows.DeleteAll(t, database.Keys, clientId));

    /// <inheritdoc />
    public IReadOnlyCollection<StoredSession> Load()
    {
        var db = database.Database;
        var sessions = new List<StoredSession>();
        foreach (var header in db.HashGetAll(database.Keys.Sessions))
        {
            string clientId = header.Name!;
            var (inflight, pending) = Deliveries(db.HashGetAll(database.Keys.Deliveries(clientId)));
            ushort[] incoming = [.. db.SetMembers(database.Keys.Incoming(clientId)).Select(v => (ushort)(int)v)];
            sessions.Add(SessionHeaderCodec.Decode(clientId, (byte[])header.Value!, inflight, pending, incoming));
        }

        return sessions;
    }

    /// <summary>A session's delivery fields grouped by number, in order: in flight (sent) first, then queued.</summary>
    private static (List<StoredInflight> Inflight, List<StoredDelivery> Pending) Deliveries(HashEntry[] fields)
    {
        var messages = new SortedDictionary<long, byte[]>();
        var packetIds = new Dictionary<long, ushort>();
        var released = new HashSet<long>();
        foreach (var field in fields)
        {
            string name = field.Name!;
            long seq = long.Parse(name.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture);
            switch (name[0])
            {
                case 'm':
                    messages[seq] = (byte[])field.Value!;
                    break;
                case 'p':
                    packetIds[seq] = (ushort)(int)field.Value;
                    break;
                case 'r':
                    released.Add(seq);
                    break;
            }
        }

        var inflight = new List<StoredInflight>();
        var pending = new List<StoredDelivery>();
        foreach (var (seq, bytes) in messages)
        {
            var delivery = DeliveryCodec.Decode(bytes, seq);
            if (packetIds.TryGetValue(seq, out ushort packetId))
            {
                inflight.Add(new StoredInflight(packetId, delivery, released.Contains(seq)));
            }
            else
            {
                pending.Add(delivery);
            }
        }

        return (inflight, pending);
    }
}

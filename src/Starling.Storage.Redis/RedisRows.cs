using StackExchange.Redis;
using Starling.Broker.Storage;

namespace Starling.Storage.Redis;

/// <summary>
/// Writes a session's keys into a transaction or batch, for the snapshot store (<see cref="RedisSessionStateStore"/>)
/// and the journal (<see cref="RedisJournal"/>) alike: one layout (<see cref="RedisKeys"/>), written in one place.
/// Every write is queued, not awaited: the caller executes the transaction and awaits its result.
/// </summary>
internal static class RedisRows
{
    public static void DeleteAll(IDatabaseAsync db, RedisKeys keys, string clientId)
    {
        _ = db.KeyDeleteAsync([keys.Deliveries(clientId), keys.Incoming(clientId)]);
        _ = db.HashDeleteAsync(keys.Sessions, clientId);
    }

    /// <summary>The whole record, its deliveries under their <see cref="DeliveryNumbers"/>.</summary>
    public static void InsertWhole(IDatabaseAsync db, RedisKeys keys, StoredSession session)
    {
        ReplaceHeader(db, keys, session);
        foreach (var (seq, packetId, released, delivery) in DeliveryNumbers.InOrder(session))
        {
            InsertDelivery(db, keys, session.ClientId, seq, packetId, released, delivery);
        }

        if (session.IncomingQoS2.Count > 0)
        {
            _ = db.SetAddAsync(keys.Incoming(session.ClientId), [.. session.IncomingQoS2.Select(id => (RedisValue)(int)id)]);
        }
    }

    public static void ReplaceHeader(IDatabaseAsync db, RedisKeys keys, StoredSession session) =>
        _ = db.HashSetAsync(keys.Sessions, session.ClientId, SessionHeaderCodec.Encode(session));

    public static void InsertDelivery(IDatabaseAsync db, RedisKeys keys, string clientId, long seq, ushort packetId, bool released, StoredDelivery delivery) =>
        InsertDelivery(db, keys, clientId, seq, packetId, released, DeliveryCodec.Encode(delivery.QoS, delivery.Retain, delivery.SubscriptionIds, StoredMessageCodec.Encode(delivery.Message)));

    public static void InsertDelivery(IDatabaseAsync db, RedisKeys keys, string clientId, long seq, ushort packetId, bool released, byte[] delivery)
    {
        var fields = new List<HashEntry>(3) { new(RedisKeys.Message(seq), delivery) };
        if (packetId != 0)
        {
            fields.Add(new(RedisKeys.PacketId(seq), (int)packetId));
        }

        if (released)
        {
            fields.Add(new(RedisKeys.Released(seq), 1));
        }

        _ = db.HashSetAsync(keys.Deliveries(clientId), [.. fields]);
    }

    public static void Sent(IDatabaseAsync db, RedisKeys keys, string clientId, long seq, ushort packetId) =>
        _ = db.HashSetAsync(keys.Deliveries(clientId), RedisKeys.PacketId(seq), (int)packetId);

    public static void Released(IDatabaseAsync db, RedisKeys keys, string clientId, long seq) =>
        _ = db.HashSetAsync(keys.Deliveries(clientId), RedisKeys.Released(seq), 1);

    public static void RemoveDelivery(IDatabaseAsync db, RedisKeys keys, string clientId, long seq) =>
        _ = db.HashDeleteAsync(keys.Deliveries(clientId), [RedisKeys.Message(seq), RedisKeys.PacketId(seq), RedisKeys.Released(seq)]);

    public static void IncomingAdded(IDatabaseAsync db, RedisKeys keys, string clientId, ushort packetId) =>
        _ = db.SetAddAsync(keys.Incoming(clientId), (int)packetId);

    public static void IncomingReleased(IDatabaseAsync db, RedisKeys keys, string clientId, ushort packetId) =>
        _ = db.SetRemoveAsync(keys.Incoming(clientId), (int)packetId);

    public static void RetainedSet(IDatabaseAsync db, RedisKeys keys, string topic, byte[] message) =>
        _ = db.HashSetAsync(keys.Retained, topic, message);

    public static void RetainedRemoved(IDatabaseAsync db, RedisKeys keys, string topic) =>
        _ = db.HashDeleteAsync(keys.Retained, topic);

    /// <summary>Runs <paramref name="write"/> in one MULTI/EXEC and waits for Redis to acknowledge it.</summary>
    public static void InTransaction(RedisDatabase database, Action<ITransaction> write)
    {
        var transaction = database.Database.CreateTransaction();
        write(transaction);
        if (!transaction.Execute())
        {
            throw new RedisException("The Redis transaction was not executed.");
        }
    }
}

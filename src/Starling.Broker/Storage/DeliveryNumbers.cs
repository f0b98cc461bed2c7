namespace Starling.Broker.Storage;

/// <summary>
/// The numbers a stored session's deliveries are kept under, in flight first, then queued: each keeps its
/// <see cref="StoredDelivery.Sequence"/>, or, in a record whose numbers do not increase (one built without them), takes
/// the next number after the previous one. Every backend and the restore number deliveries this one way.
/// </summary>
public static class DeliveryNumbers
{
    /// <summary>The number after <paramref name="last"/> for a delivery stored as <paramref name="stored"/>.</summary>
    public static long Next(long last, long stored) => Math.Max(last + 1, stored);

    /// <summary>Every delivery of <paramref name="session"/> with its number; packet id 0 for a queued one.</summary>
    public static IEnumerable<(long Sequence, ushort PacketId, bool Released, StoredDelivery Delivery)> InOrder(StoredSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        long seq = -1;
        foreach (var inflight in session.Inflight)
        {
            seq = Next(seq, inflight.Delivery.Sequence);
            yield return (seq, inflight.PacketId, inflight.Released, inflight.Delivery);
        }

        foreach (var pending in session.Pending)
        {
            seq = Next(seq, pending.Sequence);
            yield return (seq, 0, false, pending);
        }
    }
}

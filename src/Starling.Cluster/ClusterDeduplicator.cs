namespace Starling.Cluster;

/// <summary>
/// Drops the second copy of a message: a node whose filters overlap (<c>a/+/c</c> and <c>a/b/+</c>) holds two NATS
/// subscriptions that both match <c>a/b/c</c>, and NATS sends one copy per subscription. Each message carries its
/// origin node and a number that grows per origin; the last <see cref="Window"/> numbers of each origin are kept.
/// </summary>
internal sealed class ClusterDeduplicator
{
    public const int Window = 8192;
    private readonly Dictionary<string, (HashSet<long> Seen, Queue<long> Order)> _origins = new(StringComparer.Ordinal);

    /// <summary>True the first time <paramref name="sequence"/> of <paramref name="origin"/> is seen.</summary>
    public bool IsNew(string origin, long sequence)
    {
        lock (_origins)
        {
            if (!_origins.TryGetValue(origin, out var recent))
            {
                _origins[origin] = recent = (new HashSet<long>(), new Queue<long>());
            }

            if (!recent.Seen.Add(sequence))
            {
                return false;
            }

            recent.Order.Enqueue(sequence);
            if (recent.Order.Count > Window)
            {
                recent.Seen.Remove(recent.Order.Dequeue());
            }

            return true;
        }
    }
}

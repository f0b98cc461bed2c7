using System.Text;

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

    /// <summary>
    /// True the first time <paramref name="sequence"/> of the node named <paramref name="originUtf8"/> is seen. The name
    /// is looked up as characters on the stack: a known node costs no allocation per message.
    /// </summary>
    public bool IsNew(ReadOnlySpan<byte> originUtf8, long sequence)
    {
        Span<char> name = stackalloc char[ClusterFrame.MaxOriginLength];
        name = name[..Encoding.UTF8.GetChars(originUtf8, name)];
        lock (_origins)
        {
            var byName = _origins.GetAlternateLookup<ReadOnlySpan<char>>();
            if (!byName.TryGetValue(name, out var recent))
            {
                _origins[name.ToString()] = recent = (new HashSet<long>(), new Queue<long>());
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

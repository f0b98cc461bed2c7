namespace Starling.Broker.Diagnostics;

/// <summary>
/// A total counted from many threads without a lock and nearly without sharing: each thread adds to one of a few
/// stripes (each on its own cache line), and a read sums them. The hot path pays one uncontended interlocked add.
/// </summary>
public sealed class StripedCounter
{
    private const int Stripes = 16; // a power of two, more than the cores of most brokers' machines
    private const int Spacing = 8;  // 8 longs: 64 bytes, one cache line per stripe
    private readonly long[] _values = new long[Stripes * Spacing];

    /// <summary>The total so far.</summary>
    public long Value
    {
        get
        {
            long sum = 0;
            for (int i = 0; i < Stripes; i++)
            {
                sum += Volatile.Read(ref _values[i * Spacing]);
            }

            return sum;
        }
    }

    /// <summary>Adds <paramref name="amount"/>.</summary>
    public void Add(long amount) => Interlocked.Add(ref _values[(Environment.CurrentManagedThreadId & (Stripes - 1)) * Spacing], amount);

    /// <summary>Adds one.</summary>
    public void Increment() => Add(1);
}

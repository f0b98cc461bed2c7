namespace Starling.Cli.Bench;

/// <summary>
/// What one subscriber received from one publisher: unique messages, duplicates and messages older than the
/// newest seen (out of order), from the sequence numbers in the payloads. Duplicates are found in a sliding
/// bitmap of the last 65,536 sequence numbers. Written by the subscriber's read loop only.
/// </summary>
internal sealed class SequenceTracker
{
    private const int WindowBits = 1 << 16;
    private readonly ulong[] _seen = new ulong[WindowBits / 64];
    private long _received;

    /// <summary>The newest sequence number seen, -1 before the first.</summary>
    public long Highest { get; private set; } = -1;

    /// <summary>The first sequence number seen (for loss without a known sent count).</summary>
    public long First { get; private set; } = -1;

    /// <summary>Distinct messages received; read by the publisher's window from another thread.</summary>
    public long Received => Volatile.Read(ref _received);

    public long Duplicated { get; private set; }

    public long OutOfOrder { get; private set; }

    public void Record(long sequence)
    {
        if (sequence < 0)
        {
            return;
        }

        if (First < 0)
        {
            First = sequence;
        }

        if (sequence > Highest)
        {
            // Clear the bits the window slides over, then mark this one.
            if (sequence - Highest >= WindowBits || Highest < 0)
            {
                Array.Clear(_seen);
            }
            else
            {
                for (var s = Highest + 1; s < sequence; s++)
                {
                    Clear(s);
                }
            }

            Highest = sequence;
            Set(sequence);
            Volatile.Write(ref _received, _received + 1);
            return;
        }

        if (Highest - sequence >= WindowBits)
        {
            OutOfOrder++; // too old to tell whether it is a duplicate: counted as a late new message
            Volatile.Write(ref _received, _received + 1);
            return;
        }

        if (IsSet(sequence))
        {
            Duplicated++;
            return;
        }

        Set(sequence);
        OutOfOrder++;
        Volatile.Write(ref _received, _received + 1);
    }

    private bool IsSet(long s) => (_seen[(s >> 6) & ((WindowBits / 64) - 1)] & (1UL << (int)(s & 63))) != 0;

    private void Set(long s) => _seen[(s >> 6) & ((WindowBits / 64) - 1)] |= 1UL << (int)(s & 63);

    private void Clear(long s) => _seen[(s >> 6) & ((WindowBits / 64) - 1)] &= ~(1UL << (int)(s & 63));
}

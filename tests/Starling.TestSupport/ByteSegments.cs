using System.Buffers;

namespace Starling.TestSupport;

/// <summary>
/// Builds a multi-segment <see cref="ReadOnlySequence{T}"/> from one array, as a transport hands over bytes that
/// arrived in pieces: the tests and the fuzzer use it to prove a packet split anywhere is read whole.
/// </summary>
public static class ByteSegments
{
    /// <summary>The bytes in segments of <paramref name="size"/> (the last one shorter); one segment when they fit.</summary>
    public static ReadOnlySequence<byte> Split(byte[] bytes, int size)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        if (bytes.Length <= size)
        {
            return new ReadOnlySequence<byte>(bytes);
        }

        var first = new Segment(bytes.AsMemory(0, size), 0);
        var last = first;
        for (int offset = size; offset < bytes.Length; offset += size)
        {
            last = last.Append(bytes.AsMemory(offset, Math.Min(size, bytes.Length - offset)));
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}

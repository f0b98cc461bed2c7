using System.Buffers;
using System.Runtime.InteropServices;

namespace Starling.Broker.Connections;

/// <summary>
/// Packets waiting to be sent on one connection, encoded back to back into one pooled array so that a
/// whole batch leaves in a single send. A large payload is not copied in: the batch records where it goes and
/// refers to the message's own bytes, which every subscriber's batch shares (a vectored send writes them).
/// Holds no array while idle (see <see cref="TrimIdle"/>). Not thread-safe: the connection guards it.
/// </summary>
internal sealed class SendBuffer : IBufferWriter<byte>
{
    /// <summary>
    /// Payloads of at least this many bytes are shared, not copied. Below it a copy costs less than the extra
    /// segment in the vectored send (measured in BENCHMARKS.md, "One copy of a large payload").
    /// </summary>
    public const int SharedPayloadThreshold = 1024;

    private const int MinimumSize = 4096;

    /// <summary>
    /// The largest sent array kept for the next batch; a larger one (a burst) goes back to the pool. In the
    /// 50-subscriber fan-out benchmark batches reach 128 KB (the pool misses were nearly all 128 KB arrays), so
    /// the limit is the send slice, the most one send call takes anyway.
    /// </summary>
    private const int MaximumKeptSize = 256 * 1024;

    /// <summary>Batches a connection sends between two trims before it keeps an array: CONNACK and SUBACK are not busy.</summary>
    private const int BatchesBeforeKeeping = 2;

    private readonly int _growthLimit;
    private byte[]? _keptArray;
    private int _batchesSinceTrim;
    private byte[]? _buffer;
    private int _written;
    private List<SharedPayload>? _shared;
    private List<SharedPayload>? _spare;
    private List<SharedPayload>? _secondSpare;
    private int _sharedBytes;

    /// <summary>
    /// Creates an empty buffer. Doubling stops at <paramref name="growthLimit"/> (the connection's
    /// MaximumSendBufferBytes): beyond it the array grows only by what is needed, so a client that stopped reading
    /// does not cost an array twice the limit (plus the smaller ones left in the pool).
    /// </summary>
    public SendBuffer(int growthLimit = int.MaxValue) => _growthLimit = growthLimit;

    /// <summary>Bytes waiting, copied and shared.</summary>
    public int Length => _written + _sharedBytes;

    public bool IsEmpty => _written == 0 && _sharedBytes == 0;

    /// <summary>Whether the array of a sent batch is kept for the next one.</summary>
    public bool KeepsArray => _keptArray is not null;

    public void Advance(int count) => _written += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    /// <summary>
    /// Appends a payload: shared by reference when large and array-backed (true: the buffer keeps referring to
    /// the payload's array until the batch is sent), else copied (false: the caller's array is free at once).
    /// </summary>
    public bool WritePayload(ReadOnlyMemory<byte> payload)
    {
        if (payload.Length >= SharedPayloadThreshold && MemoryMarshal.TryGetArray(payload, out var segment))
        {
            var shared = _shared ??= TakeSpare();
            shared.Add(new SharedPayload(_written, segment));
            _sharedBytes += payload.Length;
            return true;
        }

        payload.Span.CopyTo(GetSpan(payload.Length));
        Advance(payload.Length);
        return false;
    }

    /// <summary>Hands over what was written; the caller sends it and gives it back with <see cref="Release"/>.</summary>
    public SendBatch Take()
    {
        var batch = new SendBatch(_buffer, _written, _shared, _written + _sharedBytes);
        _buffer = null;
        _written = 0;
        _shared = null;
        _sharedBytes = 0;
        return batch;
    }

    /// <summary>
    /// Takes back a sent batch: its array is kept for the next batch when the connection is busy (more than
    /// two batches since the last <see cref="TrimIdle"/>), else returned to the pool; its list of shared payloads is kept.
    /// </summary>
    /// <remarks>
    /// Why keep the array: a batch is rented on the thread that writes (often another client's receive loop) and
    /// released on the flush thread. Through the shared pool that round trip strands arrays in other threads'
    /// caches and overflows the per-core stacks under fan-out, so the pool keeps allocating new arrays: measured
    /// ~7 MB per 18 s in the 50-subscriber fan-out benchmark, all of the broker's remaining allocation there.
    /// </remarks>
    public void Release(in SendBatch batch)
    {
        if (batch.Buffer is { } array)
        {
            // Kept from the third batch since the last trim on: a client that was only answered (a CONNACK, a SUBACK)
            // gives the array straight back, so a burst of thousands of new idle connections does not have each keep
            // one until the sweep (draining the pool meanwhile: measured 4 KB allocated per connection).
            _batchesSinceTrim++;
            if (_keptArray is null && _batchesSinceTrim > BatchesBeforeKeeping && array.Length <= MaximumKeptSize)
            {
                _keptArray = array;
            }
            else
            {
                ArrayPool<byte>.Shared.Return(array);
            }
        }

        if (batch.Shared is { } shared)
        {
            // Let the messages go, and keep the list: at most two are ever in use (one in flight, one filling), so
            // with two spare slots none is dropped when a batch without shared payloads came between.
            shared.Clear();
            if (_spare is null)
            {
                _spare = shared;
            }
            else
            {
                _secondSpare ??= shared;
            }
        }
    }

    /// <summary>Drops everything written and returns the arrays.</summary>
    public void Clear()
    {
        Release(Take());
        ReturnKeptArray();
    }

    /// <summary>
    /// Called about once a second: a connection that sent at most one batch since the last call is idle, and its
    /// kept array goes back to the pool. So an idle connection holds no array, and one that only answered a
    /// CONNACK or a PINGREQ never kept one.
    /// </summary>
    public void TrimIdle()
    {
        if (_batchesSinceTrim <= 1)
        {
            ReturnKeptArray();
        }

        _batchesSinceTrim = 0;
    }

    private void ReturnKeptArray()
    {
        if (_keptArray is not null)
        {
            ArrayPool<byte>.Shared.Return(_keptArray);
            _keptArray = null;
        }
    }

    private List<SharedPayload> TakeSpare()
    {
        var list = _spare ?? _secondSpare ?? [];
        if (list == _spare)
        {
            _spare = null;
        }
        else if (list == _secondSpare)
        {
            _secondSpare = null;
        }

        return list;
    }

    private void Ensure(int sizeHint)
    {
        int needed = _written + Math.Max(sizeHint, 1);
        if (_buffer is not null && needed <= _buffer.Length)
        {
            return;
        }

        if (_buffer is null && _keptArray is not null && needed <= _keptArray.Length)
        {
            _buffer = _keptArray; // the array of the previous batch, kept by Release
            _keptArray = null;
            return;
        }

        int doubled = _buffer is null ? 0 : (int)Math.Min((long)_buffer.Length * 2, _growthLimit);
        int size = Math.Max(MinimumSize, Math.Max(needed, doubled));
        var larger = ArrayPool<byte>.Shared.Rent(size);
        if (_buffer is not null)
        {
            _buffer.AsSpan(0, _written).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = larger;
    }
}

/// <summary>A payload that goes, uncopied, after the first <paramref name="Offset"/> bytes of the batch's own array.</summary>
internal readonly record struct SharedPayload(int Offset, ArraySegment<byte> Payload);

/// <summary>One batch taken from a <see cref="SendBuffer"/>: its array, and the shared payloads interleaved with it.</summary>
internal readonly record struct SendBatch(byte[]? Buffer, int Written, List<SharedPayload>? Shared, int TotalBytes)
{
    public bool IsEmpty => TotalBytes == 0;

    /// <summary>The batch as the segments of one vectored send, in order.</summary>
    public void FillSegments(List<ArraySegment<byte>> segments)
    {
        int start = 0;
        foreach (var shared in Shared!)
        {
            if (shared.Offset > start)
            {
                segments.Add(new ArraySegment<byte>(Buffer!, start, shared.Offset - start));
            }

            segments.Add(shared.Payload);
            start = shared.Offset;
        }

        if (Written > start)
        {
            segments.Add(new ArraySegment<byte>(Buffer!, start, Written - start));
        }
    }
}

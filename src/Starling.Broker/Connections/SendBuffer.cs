using System.Buffers;

namespace Starling.Broker.Connections;

/// <summary>
/// Packets waiting to be sent on one connection, encoded back to back into one pooled array so that a
/// whole batch leaves in a single send. Holds no array while empty. Not thread-safe: the connection guards it.
/// </summary>
internal sealed class SendBuffer : IBufferWriter<byte>
{
    private const int MinimumSize = 4096;
    private byte[]? _buffer;
    private int _written;

    public int Length => _written;

    public bool IsEmpty => _written == 0;

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

    /// <summary>Hands over what was written; the caller sends it and returns the array with <see cref="Release"/>.</summary>
    public (byte[]? Buffer, int Length) Take()
    {
        var taken = (_buffer, _written);
        _buffer = null;
        _written = 0;
        return taken;
    }

    public static void Release(byte[] buffer) => ArrayPool<byte>.Shared.Return(buffer);

    /// <summary>Drops everything written and returns the array.</summary>
    public void Clear()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = null;
        _written = 0;
    }

    private void Ensure(int sizeHint)
    {
        int needed = _written + Math.Max(sizeHint, 1);
        if (_buffer is not null && needed <= _buffer.Length)
        {
            return;
        }

        int size = Math.Max(MinimumSize, _buffer is null ? needed : Math.Max(needed, _buffer.Length * 2));
        var larger = ArrayPool<byte>.Shared.Rent(size);
        if (_buffer is not null)
        {
            _buffer.AsSpan(0, _written).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = larger;
    }
}

using System.Buffers;

namespace Starling.Net;

/// <summary>
/// The bytes one connection has received and the engine has not yet consumed: the one receive path of every
/// transport (TCP, TLS, epoll, WebSocket). The transport reads into <see cref="GetMemory"/>, records the count with
/// <see cref="Advance"/>, hands <see cref="Unread"/> to the engine, and gives back what it consumed with
/// <see cref="Consume"/>; the tail (a partial packet) moves to the front for the next read.
/// </summary>
/// <remarks>
/// <para>
/// The array is rented from the shared pool on the first <see cref="GetMemory"/> and goes back with
/// <see cref="Release"/>, so a transport that releases it while idle holds no buffer then. Steady state, nothing is
/// allocated per read.
/// </para>
/// <para>
/// The buffer only grows when it is full with one unconsumed packet, and the engine has then already read that
/// packet's fixed header and checked its declared length against the maximum packet size (it closes the connection
/// otherwise): growth is bounded by that limit without this type knowing it.
/// </para>
/// <para>
/// A struct, held in the connection's field or the receive loop's local: a class would add an object to every idle
/// connection. Never copy it; each copy would think it owns the array.
/// </para>
/// </remarks>
internal struct ReceiveBuffer
{
    /// <summary>Most packets (CONNECT, a small PUBLISH, acknowledgements) fit in the first array.</summary>
    private const int InitialSize = 4096;

    private byte[]? _array;
    private int _filled;

    /// <summary>Whether every received byte has been consumed (or dropped).</summary>
    public readonly bool IsEmpty => _filled == 0;

    /// <summary>The received bytes the engine has not consumed yet.</summary>
    public readonly ReadOnlySequence<byte> Unread => _array is null ? ReadOnlySequence<byte>.Empty : new(_array, 0, _filled);

    /// <summary>
    /// Room to read into, after the unread bytes: rents the first array, or a twice larger one when the unread bytes
    /// fill it (a packet larger than the array, whose declared length the engine has already accepted).
    /// </summary>
    public Memory<byte> GetMemory()
    {
        if (_array is null)
        {
            _array = ArrayPool<byte>.Shared.Rent(InitialSize);
        }
        else if (_filled == _array.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(_array.Length * 2);
            _array.AsSpan(0, _filled).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_array);
            _array = larger;
        }

        return _array.AsMemory(_filled);
    }

    /// <summary>Counts <paramref name="received"/> bytes read into the memory <see cref="GetMemory"/> gave.</summary>
    public void Advance(int received) => _filled += received;

    /// <summary>The engine consumed the first <paramref name="consumed"/> unread bytes: the rest moves to the front.</summary>
    public void Consume(int consumed)
    {
        if (consumed > 0)
        {
            _array.AsSpan(consumed, _filled - consumed).CopyTo(_array);
            _filled -= consumed;
        }
    }

    /// <summary>Drops the unread bytes (the connection is closing: what the peer still sends is not read); keeps the array.</summary>
    public void Discard() => _filled = 0;

    /// <summary>Gives the array back to the pool, unread bytes and all; the next <see cref="GetMemory"/> rents again.</summary>
    public void Release()
    {
        if (_array is not null)
        {
            ArrayPool<byte>.Shared.Return(_array);
            _array = null;
        }

        _filled = 0;
    }
}

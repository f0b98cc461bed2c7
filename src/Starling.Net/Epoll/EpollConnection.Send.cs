using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Starling.Net.Epoll;

/// <summary>
/// The send side: in place on the non-blocking socket, which nearly always takes the bytes. When the socket
/// buffer is full, the send waits for the loop's next "writable" edge (<see cref="WritableSignal"/>, created
/// for the connections that ever need one).
/// </summary>
internal sealed partial class EpollConnection
{
    /// <summary>The most iovec entries one sendmsg gets; the rest of a batch follows in further calls.</summary>
    private const int MaximumVectors = 64;

    /// <summary>Counts the loop's "writable" edges, so that a send can tell whether one came after it failed.</summary>
    private int _writableEdges;
    private WritableSignal? _writable;
    private bool _watchingOutput;

    public ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        if (SendInPlace(ref data, out int edges, out int error))
        {
            return ValueTask.CompletedTask;
        }

        return error == LibC.EAgain ? SendWhenWritableAsync(data, edges) : ValueTask.FromException(SendFailure(error));
    }

    /// <summary>
    /// Sends until <paramref name="data"/> is all gone (true) or the socket refuses more (false, with
    /// <paramref name="error"/>: EAGAIN when its buffer is full, and <paramref name="edges"/> counted before that
    /// last attempt, so a wait can tell whether room came since).
    /// </summary>
    private bool SendInPlace(ref ReadOnlyMemory<byte> data, out int edges, out int error)
    {
        edges = 0;
        error = 0;
        while (!data.IsEmpty)
        {
            edges = Volatile.Read(ref _writableEdges);
            int sent = Send(data.Span, out error);
            if (sent < 0)
            {
                return false;
            }

            data = data[sent..];
        }

        return true;
    }

    /// <summary>
    /// A vectored send (sendmsg): our packet headers and the shared payloads of other messages leave in one system
    /// call without being copied together first. What the socket does not take goes after it, segment by segment.
    /// </summary>
    public ValueTask SendAsync(IList<ArraySegment<byte>> segments, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        int total = GatheredSend.TotalLength(segments);
        int sent = SendVectored(segments, Math.Min(segments.Count, MaximumVectors), out int error);
        if (sent < 0)
        {
            if (error != LibC.EAgain)
            {
                return ValueTask.FromException(SendFailure(error));
            }

            sent = 0;
        }

        return sent < total ? GatheredSend.SendRemainderAsync(this, segments, sent, cancellationToken) : ValueTask.CompletedTask;
    }

    /// <summary>How many "writable" edges the loop has reported so far.</summary>
    internal int WritableEdges => Volatile.Read(ref _writableEdges);

    /// <summary>Called for every "writable" edge (and on close): wakes a send that waits for room.</summary>
    private void SignalWritable()
    {
        Interlocked.Increment(ref _writableEdges);
        Volatile.Read(ref _writable)?.Signal();
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendWhenWritableAsync(ReadOnlyMemory<byte> data, int edges)
    {
        var writable = _writable ?? Interlocked.CompareExchange(ref _writable, new WritableSignal(), null) ?? _writable!;
        if (!_watchingOutput)
        {
            // First time the socket buffer filled up: from now on the loop also reports "writable" edges. (Adding it
            // re-checks readiness, so room that appeared since the failed send is reported too.)
            _watchingOutput = true;
            _loop.Modify(this, _descriptor, InputEvents | LibC.EpollOut);
        }

        while (true)
        {
            await writable.WaitAsync(this, edges).ConfigureAwait(false);
            if (SendInPlace(ref data, out edges, out int error))
            {
                return;
            }

            if (error != LibC.EAgain)
            {
                throw SendFailure(error);
            }

            // Full again: wait for the next edge.
        }
    }

    /// <summary>One send(2) without SIGPIPE; -1 with <paramref name="error"/> set when it took nothing.</summary>
    private unsafe int Send(ReadOnlySpan<byte> data, out int error)
    {
        nint sent;
        do
        {
            try
            {
                fixed (byte* pointer = data)
                {
                    sent = LibC.Send(_descriptor, pointer, data.Length, LibC.MsgNoSignal);
                }
            }
            catch (ObjectDisposedException)
            {
                error = LibC.EBadF; // closed meanwhile
                return -1;
            }
        }
        while (Interrupted(sent, out error));
        return sent >= 0 ? (int)sent : -1;
    }

    /// <summary>One sendmsg(2) of the first <paramref name="count"/> segments, each pinned for the call.</summary>
    private unsafe int SendVectored(IList<ArraySegment<byte>> segments, int count, out int error)
    {
        var vectors = stackalloc LibC.IoVector[count];
        Span<GCHandle> pins = stackalloc GCHandle[count];
        try
        {
            for (int i = 0; i < count; i++)
            {
                var segment = segments[i];
                pins[i] = GCHandle.Alloc(segment.Array, GCHandleType.Pinned);
                vectors[i].Base = (byte*)pins[i].AddrOfPinnedObject() + segment.Offset;
                vectors[i].Length = (nuint)segment.Count;
            }

            var message = default(LibC.MessageHeader);
            message.Vectors = vectors;
            message.VectorCount = (nuint)count;
            nint sent;
            do
            {
                try
                {
                    sent = LibC.SendMessage(_descriptor, &message, LibC.MsgNoSignal);
                }
                catch (ObjectDisposedException)
                {
                    error = LibC.EBadF;
                    return -1;
                }
            }
            while (Interrupted(sent, out error));
            return sent >= 0 ? (int)sent : -1;
        }
        finally
        {
            for (int i = 0; i < count; i++)
            {
                if (pins[i].IsAllocated)
                {
                    pins[i].Free();
                }
            }
        }
    }

    private static Exception SendFailure(int error) => error switch
    {
        LibC.EBadF => new ObjectDisposedException(nameof(EpollConnection)),
        LibC.EPipe or LibC.EConnReset => new SocketException((int)SocketError.ConnectionReset),
        _ => new SocketException((int)SocketError.SocketError),
    };
}

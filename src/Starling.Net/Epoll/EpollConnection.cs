using System.Net;
using System.Runtime.InteropServices;
using Starling.Broker.Transport;

namespace Starling.Net.Epoll;

/// <summary>
/// One accepted TCP connection on the epoll transport: a descriptor, a slot in an <see cref="EpollLoop"/>, and
/// the engine it feeds. Idle, it is this object and its descriptor handle and nothing else: no receive buffer
/// (one is rented when data arrives and returned once it is consumed), no pending operation, no suspended
/// state machine. Reads run on the loop's thread when it reports input (on the thread pool if the engine
/// suspends them, for a hook, or after a close from elsewhere), one at a time; sends go in place on the
/// non-blocking socket and wait for the loop's "writable" only when the socket buffer is full (.Send.cs).
/// </summary>
internal sealed partial class EpollConnection : EpollRegistration, IAcceptedConnection, IThreadPoolWorkItem
{
    /// <summary>What a connection is registered for at first: input and the peer's shutdown (output once needed).</summary>
    private const uint InputEvents = LibC.EpollIn | LibC.EpollRdHup | LibC.EpollEdgeTriggered;

    /// <summary>
    /// Reads one run makes before it lets others go first: on the loop thread, a client that sends without pause
    /// would otherwise keep every other connection of the loop waiting. The rest of its bytes are read on the
    /// thread pool (and again in turns there).
    /// </summary>
    private const int ReadsPerTurn = 16;

    /// <summary>No read queued or running.</summary>
    private const int ReadIdle = 0;

    /// <summary>A read is queued or running.</summary>
    private const int ReadRunning = 1;

    /// <summary>A read is running and the loop reported new input meanwhile: read again before going idle.</summary>
    private const int ReadRunningAgain = 2;

    private readonly SocketDescriptor _descriptor;
    private readonly EpollLoop _loop;
    private readonly PeerAddress _remote;
    private IConnectionEngine? _engine;
    private Action<object?>? _ended;
    private object? _endedState;
    private ReceiveBuffer _received;
    private int _readState;
    private int _closed;
    private int _lingering;

    /// <summary>The loop reported the peer's shutdown or an error: reads go on until end of stream, never stop short.</summary>
    private bool _peerClosing;

    public EpollConnection(SocketDescriptor descriptor, EpollLoop loop, PeerAddress remote, string listenerName)
    {
        _descriptor = descriptor;
        _loop = loop;
        _remote = remote;
        ListenerName = listenerName;
    }

    /// <summary>Built when asked, not kept: hooks and logs ask rarely, and an idle connection should not pay for it.</summary>
    public EndPoint? RemoteEndPoint => _remote.ToEndPoint();

    /// <summary>Read from the socket when asked (getsockname), not kept, for the same reason.</summary>
    public EndPoint? LocalEndPoint => ReadLocalEndPoint();

    public string ListenerName { get; }

    private bool IsClosed => Volatile.Read(ref _closed) == 1;

    /// <summary>Starts reading for <paramref name="engine"/>; when the connection ends, the engine is told and then <paramref name="ended"/> runs.</summary>
    public void Run(IConnectionEngine engine, Action<object?>? ended, object? state)
    {
        _ended = ended;
        _endedState = state;
        Volatile.Write(ref _engine, engine);
        try
        {
            // Bytes that came before this (the CONNECT, often) are reported at once: epoll checks when adding.
            _loop.Register(this, _descriptor, InputEvents);
        }
        catch (Exception ex) when (ex is ObjectDisposedException or InvalidOperationException)
        {
            Close(); // closed before it started, or the kernel refused it
        }

        if (IsClosed)
        {
            // Closed while being handed over (a handshake deadline, the broker stopping): free the slot, which the
            // close may have missed, and let the read end the connection so that the engine hears of it.
            _loop.Unregister(this);
            ScheduleRead(inline: false);
        }
    }

    /// <summary>Called by the loop thread with the epoll flags of an edge: reads right here, or wakes a waiting send.</summary>
    public override void OnEvents(uint flags)
    {
        if ((flags & (LibC.EpollRdHup | LibC.EpollHup | LibC.EpollErr)) != 0)
        {
            Volatile.Write(ref _peerClosing, true);
        }

        if ((flags & (LibC.EpollIn | LibC.EpollRdHup | LibC.EpollHup | LibC.EpollErr)) != 0)
        {
            ScheduleRead(inline: true);
        }

        if ((flags & (LibC.EpollOut | LibC.EpollHup | LibC.EpollErr)) != 0)
        {
            SignalWritable();
        }
    }

    /// <inheritdoc />
    void IThreadPoolWorkItem.Execute() => _ = ReadAsync();

    /// <inheritdoc cref="IConnectionTransport.CloseGracefully(TimeSpan)"/>
    public void CloseGracefully(TimeSpan linger)
    {
        if (IsClosed || Interlocked.Exchange(ref _lingering, 1) == 1)
        {
            return;
        }

        try
        {
            LibC.Shutdown(_descriptor, LibC.ShutWrite); // our FIN; reads go on (and drop) until the peer's
        }
        catch (ObjectDisposedException)
        {
            return; // closed meanwhile
        }

        _ = CloseAfterAsync(linger);
    }

    /// <summary>Ends a linger whose peer never closes.</summary>
    private async Task CloseAfterAsync(TimeSpan linger)
    {
        await Task.Delay(linger).ConfigureAwait(false);
        Close();
    }

    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 1)
        {
            return;
        }


        try
        {
            LibC.Shutdown(_descriptor, LibC.ShutReadWrite); // the peer sees the end even if a call still holds the descriptor
        }
        catch (ObjectDisposedException)
        {
            // already gone
        }

        _loop.Unregister(this);
        _descriptor.Dispose();

        // Whatever waits learns it now: the reader (which then tells the engine) and a send waiting for room. The
        // read is queued, not run here: Close is called from inside the engine, which must not be re-entered.
        ScheduleRead(inline: false);
        SignalWritable();
    }

    /// <summary>Starts a read unless one is running (then that one reads again before it stops).</summary>
    private void ScheduleRead(bool inline)
    {
        while (true)
        {
            int state = Volatile.Read(ref _readState);
            if (state == ReadIdle)
            {
                if (Interlocked.CompareExchange(ref _readState, ReadRunning, ReadIdle) == ReadIdle)
                {
                    if (inline)
                    {
                        _ = ReadAsync();
                    }
                    else
                    {
                        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
                    }

                    return;
                }
            }
            else if (state == ReadRunning)
            {
                if (Interlocked.CompareExchange(ref _readState, ReadRunningAgain, ReadRunning) == ReadRunning)
                {
                    return;
                }
            }
            else
            {
                return;
            }
        }
    }

    /// <summary>
    /// Reads until the socket has nothing more (edge-triggered: the next edge comes only after that), feeding
    /// the engine as bytes arrive. While the engine works asynchronously (a hook, a rate limit) nothing more is
    /// read: that is the backpressure on this client.
    /// </summary>
    /// <remarks>Nobody awaits it; it completes synchronously (no allocation) unless the engine suspends it.</remarks>
    private async Task ReadAsync()
    {
        if (Volatile.Read(ref _engine) is not { } engine)
        {
            // Closed before it was handed to the engine (refused at accept, or Run is about to see it closed).
            Volatile.Write(ref _readState, ReadIdle);
            return;
        }

        bool open = false; // false when the loop below ends the connection
        int reads = 0;
        try
        {
            while (true)
            {
                Volatile.Write(ref _readState, ReadRunning);
                while (true)
                {
                    if (IsClosed)
                    {
                        return;
                    }

                    if (++reads > ReadsPerTurn)
                    {
                        // Others' turn: carry on from the thread pool's queue (still "running", so no second read starts).
                        open = true;
                        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
                        return;
                    }

                    var room = _received.GetMemory();
                    int received = Receive(room.Span, out int error);
                    if (received > 0)
                    {
                        _received.Advance(received);
                        if (Volatile.Read(ref _lingering) == 1)
                        {
                            _received.Discard(); // the engine said its last word: what the peer still sends is dropped
                            continue;
                        }

                        int consumed = (int)await engine.ReceiveAsync(_received.Unread).ConfigureAwait(false);
                        _received.Consume(consumed);

                        if (received < room.Length && !Volatile.Read(ref _peerClosing))
                        {
                            // A short read took everything the socket had: skip the read that would only say EAGAIN
                            // (a syscall per burst). Bytes arriving since raise a new edge, which reads again. Not
                            // once the peer shut down: its FIN came with an edge we consumed, so read to the end.
                            break;
                        }

                        continue;
                    }

                    if (received == 0 || error != LibC.EAgain)
                    {
                        return; // the peer closed, or the connection failed
                    }

                    break; // drained: wait for the next edge
                }

                if (_received.IsEmpty)
                {
                    _received.Release(); // idle connections hold no buffer
                }

                if (Interlocked.CompareExchange(ref _readState, ReadIdle, ReadRunning) == ReadRunning)
                {
                    open = true;
                    return;
                }

                // New input was reported while we read: read again (the edge will not come twice).
            }
        }
        finally
        {
            if (!open)
            {
                await EndAsync(engine).ConfigureAwait(false);
            }
        }
    }

    /// <summary>One read(2); 0 at the end of the stream, -1 with <paramref name="error"/> set otherwise.</summary>
    private unsafe int Receive(Span<byte> into, out int error)
    {
        nint received;
        do
        {
            try
            {
                fixed (byte* pointer = into)
                {
                    received = LibC.Read(_descriptor, pointer, into.Length);
                }
            }
            catch (ObjectDisposedException)
            {
                error = LibC.EBadF; // closed meanwhile
                return -1;
            }
        }
        while (Interrupted(received, out error));
        return received >= 0 ? (int)received : -1;
    }

    /// <summary>The errno of a failed system call (0 after a success); true when a signal interrupted it: call again.</summary>
    private static bool Interrupted(nint result, out int error)
    {
        error = result >= 0 ? 0 : Marshal.GetLastPInvokeError();
        return error == LibC.EIntr;
    }

    /// <summary>The connection is over: close it, give the buffer back, tell the engine, then the listener.</summary>
    private async ValueTask EndAsync(IConnectionEngine engine)
    {
        Close();
        _received.Release();

        try
        {
            await engine.TransportClosedAsync().ConfigureAwait(false);
        }
        finally
        {
            _ended?.Invoke(_endedState);
        }
    }

    private unsafe IPEndPoint? ReadLocalEndPoint()
    {
        byte* address = stackalloc byte[LibC.SocketAddressStorageSize];
        uint length = LibC.SocketAddressStorageSize;
        try
        {
            return LibC.GetSocketName(_descriptor, address, &length) == 0
                ? PeerAddress.Read(new ReadOnlySpan<byte>(address, (int)Math.Min(length, LibC.SocketAddressStorageSize))).ToEndPoint()
                : null;
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
    }
}

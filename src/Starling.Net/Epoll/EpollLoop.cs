using System.Runtime.InteropServices;

namespace Starling.Net.Epoll;

/// <summary>
/// One epoll instance and the thread that waits on it. Connections are registered once, edge-triggered, for
/// reading and writing; an event only tells the connection "ready" (its reads and waiting sends then run on the
/// thread pool), so this thread never parses or routes. An event carries the connection's slot in a table and a
/// generation, not a pointer: an event still queued for a connection that has since closed finds either nothing
/// or a newer connection with another generation, and is dropped.
/// </summary>
internal sealed unsafe class EpollLoop
{
    private const int EventsPerWait = 256;
    private static readonly Lazy<EpollLoop[]> s_loops = new(CreateLoops);
    private static int s_next;

    private readonly int _epollFd;
    private readonly Lock _slotsGate = new();
    private EpollConnection?[] _slots = new EpollConnection?[1024];
    private int[] _free = new int[1024];
    private int _freeCount;
    private int _used;
    private uint _generation;

    private EpollLoop(int index)
    {
        _epollFd = LibC.EpollCreate(LibC.EpollCloexec);
        if (_epollFd < 0)
        {
            throw new InvalidOperationException($"epoll_create1 failed: errno {Marshal.GetLastPInvokeError()}");
        }

        var thread = new Thread(Run) { IsBackground = true, Name = $"Starling epoll {index}" };
        thread.Start();
    }

    /// <summary>Whether this platform has epoll (Linux).</summary>
    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>The next loop, round robin: one loop per processor, shared by every listener of the process.</summary>
    public static EpollLoop Next()
    {
        var loops = s_loops.Value;
        return loops[(int)((uint)Interlocked.Increment(ref s_next) % (uint)loops.Length)];
    }

    /// <summary>
    /// Starts watching <paramref name="connection"/>: edge-triggered input, output and peer shutdown. Data already
    /// waiting is reported at once (epoll polls the socket when it is added).
    /// </summary>
    public void Register(EpollConnection connection, SocketDescriptor descriptor)
    {
        ulong token;
        lock (_slotsGate)
        {
            int slot;
            if (_freeCount > 0)
            {
                slot = _free[--_freeCount];
            }
            else
            {
                if (_used == _slots.Length)
                {
                    // The loop thread reads the table without the lock: publish the copy only once it is filled.
                    var larger = new EpollConnection?[_slots.Length * 2];
                    _slots.CopyTo(larger, 0);
                    Volatile.Write(ref _slots, larger);
                    Array.Resize(ref _free, _free.Length * 2);
                }

                slot = _used++;
            }

            uint generation = ++_generation;
            token = ((ulong)generation << 32) | (uint)slot;
            connection.Token = token;
            Volatile.Write(ref _slots[slot], connection);
        }

        byte* epollEvent = stackalloc byte[16];
        *(uint*)epollEvent = LibC.EpollIn | LibC.EpollOut | LibC.EpollRdHup | LibC.EpollEdgeTriggered;
        *(ulong*)(epollEvent + LibC.EpollEventDataOffset) = token;
        bool added = false;
        try
        {
            descriptor.DangerousAddRef(ref added);
            if (LibC.EpollCtl(_epollFd, LibC.EpollCtlAdd, descriptor.Number, epollEvent) != 0)
            {
                throw new InvalidOperationException($"epoll_ctl ADD failed: errno {Marshal.GetLastPInvokeError()}");
            }
        }
        finally
        {
            if (added)
            {
                descriptor.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// Forgets <paramref name="connection"/>'s slot. The kernel drops the registration itself when the descriptor
    /// closes; an event already taken from epoll for it no longer finds it here.
    /// </summary>
    public void Unregister(EpollConnection connection)
    {
        ulong token = connection.Token;
        if (token == 0)
        {
            return;
        }

        int slot = (int)(uint)token;
        lock (_slotsGate)
        {
            if (ReferenceEquals(_slots[slot], connection))
            {
                _slots[slot] = null;
                _free[_freeCount++] = slot;
            }
        }
    }

    private static EpollLoop[] CreateLoops()
    {
        var loops = new EpollLoop[Math.Max(1, Environment.ProcessorCount)];
        for (int i = 0; i < loops.Length; i++)
        {
            loops[i] = new EpollLoop(i);
        }

        return loops;
    }

    private void Run()
    {
        int size = LibC.EpollEventSize;
        byte* events = (byte*)NativeMemory.Alloc((nuint)(EventsPerWait * size));
        while (true)
        {
            int count = LibC.EpollWait(_epollFd, events, EventsPerWait, -1);
            if (count < 0)
            {
                // EINTR (a signal, a debugger) is the only error a valid epoll descriptor gives; wait again.
                continue;
            }

            var slots = Volatile.Read(ref _slots);
            for (int i = 0; i < count; i++)
            {
                byte* entry = events + (i * size);
                uint flags = *(uint*)entry;
                ulong token = *(ulong*)(entry + LibC.EpollEventDataOffset);
                int slot = (int)(uint)token;
                var connection = slot < slots.Length ? Volatile.Read(ref slots[slot]) : null;
                if (connection is null || connection.Token != token)
                {
                    continue; // closed since; its slot is free or someone else's
                }

                connection.OnEvents(flags);
            }
        }
    }
}

using System.Runtime.InteropServices;

namespace Starling.Net.Epoll;

/// <summary>
/// One epoll instance and the thread that waits on it, like one of mosquitto's or nginx's event loops: it accepts
/// (for a listener registered with it) and reads and handles what arrives on its connections itself, so a
/// connection's packets are handled without a hop to another thread (each hop is a context switch, which costs
/// dearly on a virtual machine). Connections are registered once, edge-triggered. An event carries the
/// registration's slot in a table and a generation, not a pointer: an event still queued for a connection that
/// has since closed finds either nothing or a newer registration with another generation, and is dropped.
/// </summary>
internal sealed unsafe class EpollLoop
{
    private const int EventsPerWait = 256;
    private static readonly Lazy<EpollLoop[]> s_loops = new(CreateLoops);
    private static int s_next;

    private readonly int _epollFd;
    private readonly Lock _slotsGate = new();
    private EpollRegistration?[] _slots = new EpollRegistration?[1024];
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

    /// <summary>The loop of the first processor, which also accepts for every epoll listener.</summary>
    public static EpollLoop First => s_loops.Value[0];

    /// <summary>
    /// Starts watching <paramref name="registration"/>'s <paramref name="descriptor"/> for <paramref name="events"/>.
    /// Readiness that already holds is reported at once (epoll polls the socket when it is added).
    /// </summary>
    public void Register(EpollRegistration registration, SafeHandle descriptor, uint events)
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
                    var larger = new EpollRegistration?[_slots.Length * 2];
                    _slots.CopyTo(larger, 0);
                    Volatile.Write(ref _slots, larger);
                    Array.Resize(ref _free, _free.Length * 2);
                }

                slot = _used++;
            }

            uint generation = ++_generation;
            token = ((ulong)generation << 32) | (uint)slot;
            registration.Token = token;
            Volatile.Write(ref _slots[slot], registration);
        }

        if (Control(LibC.EpollCtlAdd, descriptor, events, token) is int error and not 0)
        {
            Unregister(registration);
            throw new InvalidOperationException($"epoll_ctl ADD failed: errno {error}");
        }
    }

    /// <summary>Changes the events watched for a registered descriptor; false when it is closed or gone.</summary>
    public bool Modify(EpollRegistration registration, SafeHandle descriptor, uint events) =>
        Control(LibC.EpollCtlMod, descriptor, events, registration.Token) == 0;

    /// <summary>Stops watching a descriptor that stays open (a listener being stopped).</summary>
    public void Remove(EpollRegistration registration, SafeHandle descriptor)
    {
        Control(LibC.EpollCtlDel, descriptor, 0, 0);
        Unregister(registration);
    }

    /// <summary>
    /// Forgets <paramref name="registration"/>'s slot. The kernel drops a registration itself when the descriptor
    /// closes; an event already taken from epoll for it no longer finds it here.
    /// </summary>
    public void Unregister(EpollRegistration registration)
    {
        ulong token = registration.Token;
        if (token == 0)
        {
            return;
        }

        int slot = (int)(uint)token;
        lock (_slotsGate)
        {
            if (ReferenceEquals(_slots[slot], registration))
            {
                _slots[slot] = null;
                _free[_freeCount++] = slot;
            }
        }
    }

    /// <summary>epoll_ctl; 0 or the errno (EBADF when the descriptor is already closed).</summary>
    private int Control(int operation, SafeHandle descriptor, uint events, ulong token)
    {
        byte* epollEvent = stackalloc byte[16];
        *(uint*)epollEvent = events;
        *(ulong*)(epollEvent + LibC.EpollEventDataOffset) = token;
        bool added = false;
        try
        {
            descriptor.DangerousAddRef(ref added);
            return LibC.EpollCtl(_epollFd, operation, (int)descriptor.DangerousGetHandle(), epollEvent) == 0 ? 0 : Marshal.GetLastPInvokeError();
        }
        catch (ObjectDisposedException)
        {
            return LibC.EBadF;
        }
        finally
        {
            if (added)
            {
                descriptor.DangerousRelease();
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
                var registration = slot < slots.Length ? Volatile.Read(ref slots[slot]) : null;
                if (registration is null || registration.Token != token)
                {
                    continue; // closed since; its slot is free or someone else's
                }

                try
                {
                    registration.OnEvents(flags);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    // Not expected: reads are async methods whose failures end their own connection, and accepting
                    // catches its own. Should one escape, the loop goes on serving every other connection.
                    System.Diagnostics.Trace.TraceError($"Starling epoll loop: {ex}");
                }
            }
        }
    }
}

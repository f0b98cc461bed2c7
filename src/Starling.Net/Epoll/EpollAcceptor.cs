using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace Starling.Net.Epoll;

/// <summary>
/// Accepts on a listening socket with accept4(2) on a thread of its own, and turns each descriptor straight into
/// an <see cref="EpollConnection"/>: no <see cref="Socket"/> object, no async accept per connection. Stopping
/// shuts the listening socket down, which wakes the blocked accept.
/// </summary>
internal sealed unsafe class EpollAcceptor
{
    private readonly Socket _listener;
    private readonly string _name;
    private readonly ILogger _logger;
    private readonly Action<EpollConnection> _serve;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _stopping;

    private EpollAcceptor(Socket listener, string name, ILogger logger, Action<EpollConnection> serve)
    {
        _listener = listener;
        _name = name;
        _logger = logger;
        _serve = serve;
    }

    /// <summary>Starts accepting on <paramref name="listener"/> (bound and listening); the task ends when accepting stops.</summary>
    public static Task Start(Socket listener, string name, ILogger logger, Action<EpollConnection> serve, out EpollAcceptor acceptor)
    {
        acceptor = new EpollAcceptor(listener, name, logger, serve);
        var thread = new Thread(acceptor.Run) { IsBackground = true, Name = $"Starling accept {name}" };
        thread.Start();
        return acceptor._stopped.Task;
    }

    /// <summary>Stops accepting: the blocked accept4 returns (EINVAL) once the listening socket is shut down.</summary>
    public void Stop()
    {
        _stopping = true;
        try
        {
            LibC.Shutdown(_listener.SafeHandle, LibC.ShutReadWrite);
        }
        catch (ObjectDisposedException)
        {
            // already closed: the accept has returned or will return EBADF
        }
    }

    private void Run()
    {
        try
        {
            byte* address = stackalloc byte[LibC.SocketAddressStorageSize];
            while (!_stopping)
            {
                uint length = LibC.SocketAddressStorageSize;
                int fd;
                try
                {
                    fd = LibC.Accept(_listener.SafeHandle, address, &length, LibC.SockNonBlock | LibC.SockCloexec);
                }
                catch (ObjectDisposedException)
                {
                    return;
                }

                if (fd < 0)
                {
                    if (!KeepAccepting(Marshal.GetLastPInvokeError()))
                    {
                        return;
                    }

                    continue;
                }

                var descriptor = new SocketDescriptor(fd);
                int noDelay = 1;
                LibC.SetSocketOption(descriptor, LibC.IpProtoTcp, LibC.TcpNoDelay, &noDelay, sizeof(int));
                var remote = SocketAddressReader.Read(new ReadOnlySpan<byte>(address, (int)Math.Min(length, LibC.SocketAddressStorageSize)));
                _serve(new EpollConnection(descriptor, EpollLoop.Next(), remote, _name));
            }
        }
        finally
        {
            _stopped.TrySetResult();
        }
    }

    /// <summary>What to do after a failed accept4: false to stop (the listener is closing or gone).</summary>
    private bool KeepAccepting(int error)
    {
        switch (error)
        {
            case LibC.EIntr:
            case LibC.EConnAborted:
                return true; // a signal, or a connection reset before we got to it
            case LibC.EAgain:
                // The descriptor is non-blocking (someone made it so): wait until a connection is ready.
                var poll = new LibC.PollDescriptor { Fd = (int)_listener.Handle, Events = LibC.PollIn };
                LibC.Poll(&poll, 1, 100);
                return true;
            case LibC.EMFile:
            case LibC.ENFile:
            case LibC.ENoBufs:
            case LibC.ENoMem:
                // Out of descriptors or memory: keep serving the others and try again shortly.
                NetLog.AcceptFailed(_logger, _name, $"errno {error}");
                Thread.Sleep(10);
                return !_stopping;
            default:
                if (!_stopping)
                {
                    NetLog.AcceptFailed(_logger, _name, $"errno {error}");
                }

                return !_stopping && error != LibC.EInval && error != LibC.EBadF;
        }
    }
}

using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace Starling.Net.Epoll;

/// <summary>
/// Accepts on a listening socket from the first <see cref="EpollLoop"/>: when the loop reports pending connections,
/// accept4(2) takes them all and turns each descriptor straight into an <see cref="EpollConnection"/> on the next
/// loop: no <see cref="Socket"/> object and no thread woken per connection. Level-triggered, so connections left
/// after a failure are reported again.
/// </summary>
internal sealed class EpollAcceptor : EpollRegistration
{
    /// <summary>Pending connections, level-triggered.</summary>
    private const uint ListenEvents = LibC.EpollIn;

    private readonly Socket _listener;
    private readonly string _name;
    private readonly ILogger _logger;
    private readonly Action<EpollConnection> _serve;
    private readonly EpollLoop _loop = EpollLoop.First;
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
        listener.Blocking = false; // accept4 until EAGAIN on each report
        listener.NoDelay = true; // Linux: accepted sockets inherit TCP_NODELAY, which saves a setsockopt per connection
        acceptor = new EpollAcceptor(listener, name, logger, serve);
        acceptor._loop.Register(acceptor, listener.SafeHandle, ListenEvents);
        return acceptor._stopped.Task;
    }

    /// <summary>Stops accepting; the listening socket is closed by its owner afterwards.</summary>
    public void Stop()
    {
        _stopping = true;
        _loop.Remove(this, _listener.SafeHandle);
        _stopped.TrySetResult();
    }

    public override unsafe void OnEvents(uint flags)
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
                return; // stopped meanwhile
            }

            if (fd < 0)
            {
                int error = Marshal.GetLastPInvokeError();
                if (error is LibC.EIntr or LibC.EConnAborted)
                {
                    continue; // a signal, or a connection reset before we got to it
                }

                if (error != LibC.EAgain)
                {
                    Pause(error);
                }

                return;
            }

            var descriptor = new SocketDescriptor(fd);
            var remote = PeerAddress.Read(new ReadOnlySpan<byte>(address, (int)Math.Min(length, LibC.SocketAddressStorageSize)));
            try
            {
                _serve(new EpollConnection(descriptor, EpollLoop.Next(), remote, _name));
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                NetLog.AcceptFailed(_logger, _name, ex.Message);
                descriptor.Dispose();
            }
        }
    }

    /// <summary>
    /// Out of descriptors or memory (EMFILE, ENFILE, ENOBUFS...): the pending connection stays pending, and a
    /// level-triggered listener would be reported again at once. Stop watching it for a moment, keep serving the others.
    /// </summary>
    private void Pause(int error)
    {
        NetLog.AcceptFailed(_logger, _name, $"errno {error}");
        _loop.Modify(this, _listener.SafeHandle, 0);
        _ = ResumeAsync();
    }

    private async Task ResumeAsync()
    {
        await Task.Delay(10).ConfigureAwait(false);
        if (!_stopping)
        {
            _loop.Modify(this, _listener.SafeHandle, ListenEvents);
        }
    }
}

using System.Net.Sockets;

namespace Starling.Net;

/// <summary>One accepted TCP socket feeding the engine (the receive loop is <see cref="StreamConnection"/>'s).</summary>
internal sealed class TcpConnection : StreamConnection
{
    public TcpConnection(Socket socket, string listenerName)
        : base(socket, listenerName)
    {
        // Non-blocking, so that SendAsync can try a send in place and learn "would block" instead of waiting.
        socket.Blocking = false;
    }

    /// <summary>
    /// Sends in place while the socket buffer takes the bytes, which is nearly always (CONNACK, SUBACK, a batch
    /// of PUBLISH). Only a send that would block goes through the socket's async send, which allocates and then
    /// keeps an event-args object (~360 bytes) for the rest of the connection: an idle client never gets one.
    /// </summary>
    public override ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        try
        {
            while (!data.IsEmpty)
            {
                int sent = Socket.Send(data.Span, SocketFlags.None, out SocketError error);
                if (error == SocketError.WouldBlock)
                {
                    return SendPendingAsync(data, cancellationToken);
                }

                if (error != SocketError.Success)
                {
                    return ValueTask.FromException(new SocketException((int)error));
                }

                data = data[sent..];
            }
        }
        catch (ObjectDisposedException ex)
        {
            // As the async send reports it: through the returned task, not thrown from the call.
            return ValueTask.FromException(ex);
        }

        return ValueTask.CompletedTask;
    }

    protected override ValueTask<int> ReceiveAsync(Memory<byte> buffer) => Socket.ReceiveAsync(buffer, SocketFlags.None);

    private async ValueTask SendPendingAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            int sent = await Socket.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            data = data[sent..];
        }
    }

    /// <summary>
    /// A vectored send (sendmsg with an iovec): our packet headers and the shared payloads of other messages leave
    /// in one system call without being copied together first. In place while the socket takes the bytes; what it
    /// does not take goes segment by segment through <see cref="SendAsync(ReadOnlyMemory{byte}, CancellationToken)"/>.
    /// </summary>
    public override ValueTask SendAsync(IList<ArraySegment<byte>> segments, CancellationToken cancellationToken)
    {
        int total = GatheredSend.TotalLength(segments);
        int sent;
        try
        {
            sent = Socket.Send(segments, SocketFlags.None, out SocketError error);
            if (error == SocketError.WouldBlock)
            {
                sent = 0;
            }
            else if (error != SocketError.Success)
            {
                return ValueTask.FromException(new SocketException((int)error));
            }
        }
        catch (ObjectDisposedException ex)
        {
            return ValueTask.FromException(ex);
        }

        // The kernel took only part of the iovec (or none, the socket buffer being full): the rest goes after it.
        return sent < total ? GatheredSend.SendRemainderAsync(this, segments, sent, cancellationToken) : ValueTask.CompletedTask;
    }
}

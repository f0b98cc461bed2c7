using System.Net.Sockets;
using Starling.Broker.Connections;

namespace Starling.Net;

/// <summary>One accepted TCP socket feeding the engine (the receive loop is <see cref="StreamConnection"/>'s).</summary>
internal sealed class TcpConnection(Socket socket, string listenerName) : StreamConnection(socket, listenerName)
{
    public override async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            int sent = await Socket.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            data = data[sent..];
        }
    }

    /// <summary>
    /// A vectored send (sendmsg with an iovec): our packet headers and the shared payloads of other messages leave
    /// in one system call without being copied together first.
    /// </summary>
    public override async ValueTask SendAsync(IList<ArraySegment<byte>> segments, CancellationToken cancellationToken)
    {
        int total = 0;
        for (int i = 0; i < segments.Count; i++)
        {
            total += segments[i].Count;
        }

        int sent = await Socket.SendAsync(segments, SocketFlags.None).ConfigureAwait(false);
        if (sent < total)
        {
            // A partial send (the kernel took only part of the iovec): the rest goes segment by segment.
            await GatheredSend.SendRemainderAsync(this, segments, sent, cancellationToken).ConfigureAwait(false);
        }
    }

    protected override ValueTask<int> ReceiveAsync(Memory<byte> buffer) => Socket.ReceiveAsync(buffer, SocketFlags.None);
}

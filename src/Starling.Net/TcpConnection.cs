using System.Net.Sockets;

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

    protected override ValueTask<int> ReceiveAsync(Memory<byte> buffer) => Socket.ReceiveAsync(buffer, SocketFlags.None);
}

using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Starling.Broker.Connections;

namespace Starling.Net;

/// <summary>
/// One accepted TCP socket feeding the engine. While idle it holds no receive buffer: a zero-byte receive
/// waits for data, and only then is a pooled buffer rented; it goes back to the pool as soon as every
/// received byte has been consumed.
/// </summary>
internal sealed class TcpConnection : IConnectionTransport
{
    private const int InitialBufferSize = 4096;
    private readonly Socket _socket;
    private int _closed;

    public TcpConnection(Socket socket, string listenerName)
    {
        _socket = socket;
        ListenerName = listenerName;
        RemoteEndPoint = socket.RemoteEndPoint;
        LocalEndPoint = socket.LocalEndPoint;
    }

    public EndPoint? RemoteEndPoint { get; }

    public EndPoint? LocalEndPoint { get; }

    public string ListenerName { get; }

    /// <summary>Receives until the connection ends, then tells the engine.</summary>
    public async Task RunAsync(MqttConnection engine)
    {
        byte[]? buffer = null;
        int filled = 0;
        try
        {
            while (true)
            {
                if (filled == 0)
                {
                    if (buffer is not null)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = null;
                    }

                    await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                    buffer = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
                }
                else if (filled == buffer!.Length)
                {
                    // A packet larger than the buffer, whose declared length the engine has already accepted.
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, filled).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                int received = await _socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None).ConfigureAwait(false);
                if (received == 0)
                {
                    break;
                }

                filled += received;
                int consumed = (int)await engine.ReceiveAsync(new ReadOnlySequence<byte>(buffer, 0, filled)).ConfigureAwait(false);
                if (consumed > 0)
                {
                    buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
                    filled -= consumed;
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
        {
            // The connection ended; the engine learns it below.
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            Close();
            await engine.TransportClosedAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            int sent = await _socket.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            data = data[sent..];
        }
    }

    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 1)
        {
            return;
        }

        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // already gone
        }
        catch (ObjectDisposedException)
        {
            // already gone
        }

        _socket.Dispose();
    }
}

using System.Net;
using System.Net.Sockets;
using Starling.Broker.Transport;

namespace Starling.Net;

/// <summary>
/// The receive loop shared by the TCP and TLS transports. While idle a connection holds no receive buffer:
/// a zero-byte receive waits for data, and only then is a pooled buffer rented; it goes back to the pool as
/// soon as every received byte has been consumed.
/// </summary>
internal abstract class StreamConnection : IAcceptedConnection, IDisposable
{
    private int _closed;
    private int _lingering;

    protected StreamConnection(Socket socket, string listenerName)
    {
        Socket = socket;
        ListenerName = listenerName;
        RemoteEndPoint = socket.RemoteEndPoint;
        LocalEndPoint = socket.LocalEndPoint;
    }

    public EndPoint? RemoteEndPoint { get; }

    public EndPoint? LocalEndPoint { get; }

    public string ListenerName { get; }

    public virtual string? CertificateUsername => null;

    protected Socket Socket { get; }

    protected bool IsClosed => Volatile.Read(ref _closed) == 1;

    /// <inheritdoc />
    public void Run(IConnectionEngine engine, Action<object?>? ended, object? state) => _ = RunAsync(engine, ended, state);

    /// <summary>Receives until the connection ends, then tells the engine, then runs <paramref name="ended"/>.</summary>
    /// <remarks>
    /// The caller hands the rest of the connection's life to this loop instead of awaiting it: an idle connection
    /// then keeps one suspended state machine, not this one plus the caller's.
    /// </remarks>
    private async Task RunAsync(IConnectionEngine engine, Action<object?>? ended, object? state)
    {
        var buffer = default(ReceiveBuffer);
        try
        {
            while (true)
            {
                if (buffer.IsEmpty)
                {
                    // Idle: no buffer is held while the zero-byte receive waits for data.
                    buffer.Release();
                    await ReceiveAsync(Memory<byte>.Empty).ConfigureAwait(false);
                }

                int received = await ReceiveAsync(buffer.GetMemory()).ConfigureAwait(false);
                if (received == 0)
                {
                    break;
                }

                buffer.Advance(received);
                if (Volatile.Read(ref _lingering) == 1)
                {
                    buffer.Discard(); // the engine said its last word: what the peer still sends is dropped
                    continue;
                }

                int consumed = (int)await engine.ReceiveAsync(buffer.Unread).ConfigureAwait(false);
                buffer.Consume(consumed);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
        {
            // The connection ended; the engine learns it below.
        }
        finally
        {
            buffer.Release();
            Close();
            try
            {
                await engine.TransportClosedAsync().ConfigureAwait(false);
            }
            finally
            {
                ended?.Invoke(state);
            }
        }
    }

    public abstract ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    private async Task EndOutputAsync()
    {
        try
        {
            await ShutdownOutputAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException or InvalidOperationException)
        {
            Close();
        }
    }

    /// <inheritdoc cref="IConnectionTransport.SendAsync(IList{ArraySegment{byte}}, CancellationToken)"/>
    public virtual ValueTask SendAsync(IList<ArraySegment<byte>> segments, CancellationToken cancellationToken) =>
        GatheredSend.SendAsync(this, segments, cancellationToken);

    /// <inheritdoc cref="IConnectionTransport.CloseGracefully(TimeSpan)"/>
    public void CloseGracefully(TimeSpan linger)
    {
        if (IsClosed || Interlocked.Exchange(ref _lingering, 1) == 1)
        {
            return;
        }

        // The receive loop goes on reading (and dropping) until the peer closes; the timer ends a peer that never does.
        _ = CloseAfterAsync(linger);
        _ = EndOutputAsync();
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
            Socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // already gone
        }
        catch (ObjectDisposedException)
        {
            // already gone
        }

        Socket.Dispose();
        OnClosed();
    }

    /// <summary>Same as <see cref="Close"/>.</summary>
    public void Dispose() => Close();

    /// <summary>Reads into <paramref name="buffer"/>; an empty buffer waits until data is ready without consuming it.</summary>
    protected abstract ValueTask<int> ReceiveAsync(Memory<byte> buffer);

    /// <summary>Ends the output: TCP sends its FIN; TLS sends close_notify first. A failure closes the connection.</summary>
    protected virtual ValueTask ShutdownOutputAsync()
    {
        Socket.Shutdown(SocketShutdown.Send);
        return ValueTask.CompletedTask;
    }

    /// <summary>Releases what the derived transport holds beyond the socket.</summary>
    protected virtual void OnClosed()
    {
    }
}

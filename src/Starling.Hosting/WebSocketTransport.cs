using System.Buffers;
using System.Net;
using System.Net.WebSockets;
using Starling.Broker.Connections;

namespace Starling.Hosting;

/// <summary>
/// MQTT over one WebSocket accepted by Kestrel. The bytes of binary messages are a stream: a packet may span
/// frames and a frame may hold several packets, so the unconsumed tail is kept for the next frame. A text
/// frame closes the connection (1003). Each send is one binary message.
/// </summary>
internal sealed class WebSocketTransport : IConnectionTransport
{
    private const int InitialBufferSize = 4096;
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(2);
    private readonly WebSocket _socket;
    private readonly TaskCompletionSource _receiveEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closeDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _closed;

    public WebSocketTransport(WebSocket socket, EndPoint? remoteEndPoint, EndPoint? localEndPoint, string listenerName, string? certificateUsername)
    {
        _socket = socket;
        RemoteEndPoint = remoteEndPoint;
        LocalEndPoint = localEndPoint;
        ListenerName = listenerName;
        CertificateUsername = certificateUsername;
    }

    public EndPoint? RemoteEndPoint { get; }

    public EndPoint? LocalEndPoint { get; }

    public string ListenerName { get; }

    public string? CertificateUsername { get; }

    /// <summary>Receives until the WebSocket ends, then tells the engine; returns once the close handshake is done.</summary>
    public async Task RunAsync(IConnectionEngine engine)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
        int filled = 0;
        try
        {
            while (true)
            {
                if (filled == buffer.Length)
                {
                    // A packet larger than the buffer, whose declared length the engine has already accepted.
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, filled).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var result = await _socket.ReceiveAsync(buffer.AsMemory(filled), CancellationToken.None).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                if (result.MessageType == WebSocketMessageType.Text)
                {
                    // Closed with 1003; what follows is ignored until the peer answers the close.
                    Close(WebSocketCloseStatus.InvalidMessageType, "MQTT uses binary frames only", CloseTimeout);
                }

                if (result.Count == 0 || Volatile.Read(ref _closed) == 1)
                {
                    filled = 0;
                    continue;
                }

                filled += result.Count;
                int consumed = (int)await engine.ReceiveAsync(new ReadOnlySequence<byte>(buffer, 0, filled)).ConfigureAwait(false);
                if (consumed > 0)
                {
                    buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
                    filled -= consumed;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The connection ended; the engine learns it below.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            _receiveEnded.TrySetResult();
            Close();
            await engine.TransportClosedAsync().ConfigureAwait(false);
            await _closeDone.Task.ConfigureAwait(false);
        }
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        await _socket.SendAsync(data, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken).ConfigureAwait(false);

    public void Close() => Close(WebSocketCloseStatus.NormalClosure, null, CloseTimeout);

    /// <summary>
    /// The close frame is the WebSocket's own graceful end: the peer may go on sending until it reads it (its frames are
    /// dropped), and answers with its close frame, which ends the receive loop; one that never answers is cut off after
    /// <paramref name="linger"/>.
    /// </summary>
    public void CloseGracefully(TimeSpan linger) => Close(WebSocketCloseStatus.NormalClosure, null, linger);

    private void Close(WebSocketCloseStatus status, string? description, TimeSpan linger)
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            _ = CloseAsync(status, description, linger);
        }
    }

    private async Task CloseAsync(WebSocketCloseStatus status, string? description, TimeSpan linger)
    {
        // A close frame, then the peer's answer (the receive loop ends on it); a peer that does not answer is cut off.
        try
        {
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var timeout = new CancellationTokenSource(linger);
                await _socket.CloseOutputAsync(status, description, timeout.Token).ConfigureAwait(false);
            }

            await _receiveEnded.Task.WaitAsync(linger).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException or TimeoutException)
        {
            _socket.Abort();
        }
        finally
        {
            _closeDone.TrySetResult();
        }
    }

}

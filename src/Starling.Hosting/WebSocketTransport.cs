using System.Net;
using System.Net.WebSockets;
using Starling.Broker.Transport;
using Starling.Net;

namespace Starling.Hosting;

/// <summary>
/// MQTT over one WebSocket accepted by Kestrel. The bytes of binary messages are a stream: a packet may span
/// frames and a frame may hold several packets, so the unconsumed tail is kept for the next frame. A text
/// frame closes the connection (1003). Each send is one binary message.
/// </summary>
internal sealed class WebSocketTransport : IConnectionTransport
{
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
        var buffer = default(ReceiveBuffer);
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer.GetMemory(), CancellationToken.None).ConfigureAwait(false);
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
                    buffer.Discard();
                    continue;
                }

                buffer.Advance(result.Count);
                int consumed = (int)await engine.ReceiveAsync(buffer.Unread).ConfigureAwait(false);
                buffer.Consume(consumed);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The connection ended; the engine learns it below.
        }
        finally
        {
            buffer.Release();
            _receiveEnded.TrySetResult();
            Close();
            await engine.TransportClosedAsync().ConfigureAwait(false);
            await _closeDone.Task.ConfigureAwait(false);
        }
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        await _socket.SendAsync(data, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken).ConfigureAwait(false);

    /// <summary>Each send is one binary message, so the segments are gathered into one buffer first.</summary>
    public ValueTask SendAsync(IList<ArraySegment<byte>> segments, CancellationToken cancellationToken) =>
        GatheredSend.SendAsync(this, segments, cancellationToken);

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

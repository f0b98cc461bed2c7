using Starling.Broker.Transport;

namespace Starling.Net;

/// <summary>
/// Closes a connection whose CONNECT has not been accepted in time (the TLS or WebSocket handshake
/// included). The timer lives in the runtime's timer queue, not in the connection: once it has fired, an
/// open connection carries nothing of it.
/// </summary>
public sealed class HandshakeDeadline : IDisposable
{
    private readonly CancellationTokenSource _timer;
    private readonly IConnectionTransport _transport;
    private readonly Action? _expired;
    private IConnectionEngine? _engine;

    private HandshakeDeadline(TimeSpan timeout, IConnectionTransport transport, Action? expired)
    {
        _transport = transport;
        _expired = expired;
        _timer = new CancellationTokenSource(timeout);
        _timer.Token.UnsafeRegister(static state => ((HandshakeDeadline)state!).Expire(), this);
    }

    /// <summary>Cancelled when the time is up (pass it to the handshake).</summary>
    public CancellationToken Token => _timer.Token;

    /// <summary>Starts the clock for <paramref name="transport"/>; null when <paramref name="timeout"/> is zero (no deadline).</summary>
    public static HandshakeDeadline? Start(TimeSpan timeout, IConnectionTransport transport, Action? expired = null) =>
        timeout > TimeSpan.Zero ? new HandshakeDeadline(timeout, transport, expired) : null;

    /// <summary>The handshake is done: from now on the engine's CONNECT decides.</summary>
    public void Attach(IConnectionEngine engine) => Volatile.Write(ref _engine, engine);

    /// <summary>Stops the clock (it also stops itself when it fires).</summary>
    public void Dispose() => _timer.Dispose();

    private void Expire()
    {
        _timer.Dispose();
        if (Volatile.Read(ref _engine) is { IsConnected: true })
        {
            return;
        }

        _expired?.Invoke();
        _transport.Close();
    }
}

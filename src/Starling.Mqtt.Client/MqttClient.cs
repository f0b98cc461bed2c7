using Starling.Mqtt.Packets;

namespace Starling.Mqtt.Client;

/// <summary>
/// An async MQTT 3.1, 3.1.1 and 5.0 client. One instance makes one connection: <see cref="ConnectAsync"/>,
/// then publish, subscribe and read messages, then <see cref="DisconnectAsync"/> (or
/// <see cref="AbortAsync"/> to drop the connection without DISCONNECT). Create a new instance to reconnect.
/// All members are safe to call concurrently.
/// </summary>
public sealed partial class MqttClient : IAsyncDisposable
{
    private const int StateNew = 0;
    private const int StateOpening = 1;
    private const int StateOpen = 2;
    private const int StateConnected = 3;
    private const int StateClosed = 4;

    private readonly CancellationTokenSource _lifetime = new();
    private readonly PendingRequests _pending = new();
    private readonly TaskCompletionSource<MqttClientDisconnectedEventArgs> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _state;
    private MqttClientOptions? _options;
    private MqttProtocolVersion _version = MqttProtocolVersion.V311;
    private uint _maximumPacketSize = MqttClientOptions.ProtocolMaximumPacketSize;
    private Stream? _stream;
    private PacketWriteQueue? _writer;
    private TaskCompletionSource<ConnAckPacket>? _connAck;
    private SemaphoreSlim? _sendQuota;
    private MqttClientDisconnectedEventArgs? _disconnecting;
    private Task? _readLoop;
    private Task? _dispatchLoop;
    private Task? _keepAliveLoop;

    /// <summary>Raised once when the connection ends, with the reason. Handlers run on the thread that noticed.</summary>
    public event EventHandler<MqttClientDisconnectedEventArgs>? Disconnected;

    /// <summary>Completes, with the reason, when the connection ends. Never faults.</summary>
    public Task<MqttClientDisconnectedEventArgs> Completion => _completion.Task;

    /// <summary>True between a successful <see cref="ConnectAsync"/> and the end of the connection.</summary>
    public bool IsConnected => Volatile.Read(ref _state) == StateConnected;

    /// <summary>The options given to <see cref="ConnectAsync"/> or <see cref="OpenAsync"/>.</summary>
    public MqttClientOptions? Options => _options;

    /// <summary>The protocol version of the connection.</summary>
    public MqttProtocolVersion ProtocolVersion => _version;

    /// <summary>The broker's CONNACK, once received.</summary>
    public ConnAckPacket? ConnAck { get; private set; }

    /// <summary>The client identifier in use: the one the broker assigned (5.0), or the one sent.</summary>
    public string? ClientId => ConnAck?.Properties?.AssignedClientIdentifier ?? _options?.ClientId;

    /// <summary>The keep alive in force: the broker's Server Keep Alive (5.0) if it sent one, otherwise the requested one.</summary>
    public TimeSpan KeepAlive { get; private set; }

    /// <summary>
    /// Opens the connection and performs the CONNECT / CONNACK handshake. Returns the CONNACK; throws
    /// <see cref="MqttClientException"/> with the reason code when the broker refuses, and
    /// <see cref="TimeoutException"/> when <see cref="MqttClientOptions.ConnectTimeout"/> passes first.
    /// May follow <see cref="OpenAsync"/>.
    /// </summary>
    public async Task<ConnAckPacket> ConnectAsync(MqttClientOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var state = Volatile.Read(ref _state);
        if (state != StateNew && !(state == StateOpen && ReferenceEquals(options, _options)))
        {
            throw new InvalidOperationException("This client has already been connected; create a new MqttClient to reconnect.");
        }

        var connect = options.CreateConnectPacket();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        try
        {
            if (state == StateNew)
            {
                await OpenAsync(options, timeout.Token).ConfigureAwait(false);
            }

            await SendAsync(connect, timeout.Token).ConfigureAwait(false);
            var connAck = await _connAck!.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
            if (connAck.ReasonCode.IsFailure())
            {
                Close(new MqttClientDisconnectedEventArgs(MqttDisconnectSource.ConnectionClosed));
                throw new MqttClientException($"The broker refused the connection: {connAck.ReasonCode} (0x{(byte)connAck.ReasonCode:X2}).", connAck.ReasonCode, connAck);
            }

            var serverKeepAlive = connAck.Properties?.ServerKeepAlive;
            KeepAlive = serverKeepAlive is { } seconds ? TimeSpan.FromSeconds(seconds) : TimeSpan.FromSeconds(connect.KeepAlive);
            _sendQuota = new SemaphoreSlim(connAck.Properties?.ReceiveMaximum ?? ushort.MaxValue);
            if (Interlocked.CompareExchange(ref _state, StateConnected, StateOpen) != StateOpen)
            {
                throw new MqttClientException("The connection closed during the handshake.");
            }

            if (KeepAlive > TimeSpan.Zero)
            {
                _keepAliveLoop = KeepAliveLoopAsync(KeepAlive);
            }

            return connAck;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            Close(new MqttClientDisconnectedEventArgs(MqttDisconnectSource.Aborted));
            throw new TimeoutException($"No CONNACK within {options.ConnectTimeout}.");
        }
        catch
        {
            Close(new MqttClientDisconnectedEventArgs(MqttDisconnectSource.Aborted));
            throw;
        }
    }

    /// <summary>
    /// Opens the stream and starts reading, without sending CONNECT: for tests that send their own first
    /// bytes with <see cref="SendRawAsync"/> or <see cref="SendPacketAsync"/>. Incoming packets are reported
    /// by <see cref="PacketReceived"/>. <see cref="ConnectAsync"/> with the same options may follow.
    /// </summary>
    public async Task OpenAsync(MqttClientOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (Interlocked.CompareExchange(ref _state, StateOpening, StateNew) != StateNew)
        {
            throw new InvalidOperationException("This client has already been connected; create a new MqttClient to reconnect.");
        }

        _options = options;
        _version = options.ProtocolVersion;
        _maximumPacketSize = options.MaximumPacketSize ?? MqttClientOptions.ProtocolMaximumPacketSize;
        _connAck = new TaskCompletionSource<ConnAckPacket>(TaskCreationOptions.RunContinuationsAsynchronously);
        var stream = await options.OpenStreamAsync(cancellationToken).ConfigureAwait(false);
        _stream = stream;
        var writer = new PacketWriteQueue(stream);
        writer.Faulted += ex => Close(new MqttClientDisconnectedEventArgs(MqttDisconnectSource.Error, exception: ex));
        _writer = writer;
        if (Interlocked.CompareExchange(ref _state, StateOpen, StateOpening) != StateOpening)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw new MqttClientException("The client was closed while connecting.");
        }

        _dispatchLoop = DispatchLoopAsync();
        _readLoop = ReadLoopAsync(stream);
    }

    /// <summary>
    /// Sends DISCONNECT (with <paramref name="reasonCode"/> and <paramref name="properties"/> in 5.0), waits
    /// briefly for the broker to close, then closes. Does nothing if the connection has already ended.
    /// </summary>
    public async Task DisconnectAsync(MqttReasonCode reasonCode = MqttReasonCode.NormalDisconnection, MqttProperties? properties = null, CancellationToken cancellationToken = default)
    {
        var state = Volatile.Read(ref _state);
        if (state is StateNew or StateClosed)
        {
            return;
        }

        var packet = new DisconnectPacket { ReasonCode = reasonCode, Properties = _version == MqttProtocolVersion.V500 ? properties : null };
        var args = new MqttClientDisconnectedEventArgs(MqttDisconnectSource.Client, packet);
        _disconnecting = args;
        try
        {
            await SendAsync(packet, cancellationToken).ConfigureAwait(false);
            if (_readLoop is { } readLoop)
            {
                // The broker closes the connection after DISCONNECT; closing first could reset it.
                await readLoop.WaitAsync(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is MqttClientException or TimeoutException)
        {
            // Already closed, or the broker is slow to close: close from this side.
        }
        finally
        {
            Close(args);
        }

        await WaitForLoopsAsync().ConfigureAwait(false);
    }

    /// <summary>Drops the connection without DISCONNECT, as a crash would: the broker publishes the will.</summary>
    public async ValueTask AbortAsync()
    {
        Abort();
        await WaitForLoopsAsync().ConfigureAwait(false);
    }

    /// <summary>Drops the connection without DISCONNECT and without waiting for the client's tasks to end.</summary>
    public void Abort() => Close(new MqttClientDisconnectedEventArgs(MqttDisconnectSource.Aborted));

    /// <summary>Closes the connection without DISCONNECT if it is still open (see <see cref="DisconnectAsync"/> for a clean end).</summary>
    public async ValueTask DisposeAsync()
    {
        Abort();
        _messages.Writer.TryComplete();
        await WaitForLoopsAsync().ConfigureAwait(false);
        _sendQuota?.Dispose();
    }

    /// <summary>Ends the connection once: first caller's reason wins, every waiter fails, the stream is disposed.</summary>
    private void Close(MqttClientDisconnectedEventArgs args)
    {
        if (Interlocked.Exchange(ref _state, StateClosed) == StateClosed)
        {
            return;
        }

        var failure = args.ReasonCode is { } code && args.Source == MqttDisconnectSource.Server
            ? new MqttClientException($"The broker disconnected: {code} (0x{(byte)code:X2}).", code, args.Packet, args.Exception)
            : new MqttClientException($"The connection is closed: {args}.", args.Exception ?? new IOException(args.ToString()));
        _writer?.Close(failure);
        try
        {
            _lifetime.Cancel();
        }
        catch (AggregateException)
        {
            // A registration threw; the connection is closing anyway.
        }

        try
        {
            _stream?.Dispose();
        }
        catch (Exception)
        {
            // Disposing a broken stream may throw; nothing to do.
        }

        _pending.FailAll(failure);
        _connAck?.TrySetException(failure);
        FailPing(failure);
        _inbound.Writer.TryComplete();
        if (_dispatchLoop is null)
        {
            _messages.Writer.TryComplete();
        }

        _completion.TrySetResult(args);
        try
        {
            Disconnected?.Invoke(this, args);
        }
        catch (Exception)
        {
            // A handler's failure must not break closing.
        }
    }

    private async Task WaitForLoopsAsync()
    {
        foreach (var loop in new[] { _readLoop, _dispatchLoop, _keepAliveLoop })
        {
            if (loop is not null)
            {
                try
                {
                    await loop.ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // Loops report through Close; their own faults are not interesting here.
                }
            }
        }
    }

    private void ThrowIfNotConnected()
    {
        var state = Volatile.Read(ref _state);
        if (state != StateConnected)
        {
            throw state == StateClosed
                ? new MqttClientException($"The connection is closed{(_completion.Task.IsCompleted ? $": {_completion.Task.Result}" : "")}.")
                : new InvalidOperationException("The client is not connected; call ConnectAsync first.");
        }
    }
}

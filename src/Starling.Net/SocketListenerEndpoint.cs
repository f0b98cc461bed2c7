using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Starling.Broker;
using Starling.Broker.Transport;

namespace Starling.Net;

/// <summary>
/// A listener on our own socket transport: accepts, enforces the listener's connection limit, runs OnAccept,
/// and hands each connection to the engine. Stopping closes the listening socket; open connections are closed
/// by the broker's stop.
/// </summary>
public abstract class SocketListenerEndpoint : IListenerEndpoint, IAsyncDisposable
{
    private readonly IPEndPoint _endPoint;
    private Socket? _listener;
    private Task? _acceptLoop;
    private int _open;

    private protected SocketListenerEndpoint(MqttBroker broker, IPEndPoint endPoint, string name, ListenerLimits limits, ILogger logger)
    {
        Broker = broker;
        _endPoint = endPoint;
        Name = name;
        Limits = limits;
        Logger = logger;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public abstract string Type { get; }

    /// <summary>The listener's limits.</summary>
    public ListenerLimits Limits { get; }

    /// <inheritdoc />
    public IPEndPoint? LocalEndPoint => _listener?.LocalEndPoint as IPEndPoint;

    /// <inheritdoc />
    public int ConnectionCount => Volatile.Read(ref _open);

    private protected MqttBroker Broker { get; }

    private protected ILogger Logger { get; }

    /// <summary>Binds and starts accepting.</summary>
    public void Start()
    {
        var socket = new Socket(_endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (_endPoint.AddressFamily == AddressFamily.InterNetworkV6 && _endPoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true; // "all interfaces" covers IPv4 too
            }

            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(_endPoint);
            socket.Listen(4096);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        _listener = socket;
        _acceptLoop = StartAccepting(socket);
        NetLog.Listening(Logger, Name, Type, LocalEndPoint);
    }

    /// <summary>Stops accepting and closes the listening socket.</summary>
    public async Task StopAsync()
    {
        if (_listener is { } listener)
        {
            StopAccepting(listener);
            listener.Dispose();
        }

        if (_acceptLoop is not null)
        {
            await _acceptLoop.ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    /// <summary>Creates the transport of a socket accepted by <see cref="AcceptLoopAsync"/>.</summary>
    private protected abstract StreamConnection CreateTransport(Socket socket);

    /// <summary>Runs what must precede MQTT (the TLS handshake); false when the connection was refused.</summary>
    private protected virtual Task<bool> HandshakeAsync(IAcceptedConnection transport, CancellationToken cancellationToken) => Task.FromResult(true);

    /// <summary>Starts accepting on the bound, listening socket; the task ends when accepting has stopped.</summary>
    private protected virtual Task StartAccepting(Socket listener) => AcceptLoopAsync(listener);

    /// <summary>Wakes the accept path so that it sees the listener closing (before the socket is disposed).</summary>
    private protected virtual void StopAccepting(Socket listener)
    {
    }

    /// <summary>Serves a connection the accept path accepted: limits, OnAccept, handshake, then the engine.</summary>
    private protected void Serve(IAcceptedConnection transport) => _ = ServeAsync(transport);

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.OperationAborted or SocketError.Interrupted or SocketError.InvalidArgument)
            {
                return;
            }
            catch (SocketException ex)
            {
                // Out of descriptors or a connection reset before accept: keep serving the others.
                NetLog.AcceptFailed(Logger, Name, ex.SocketErrorCode.ToString());
                await Task.Delay(10).ConfigureAwait(false);
                continue;
            }

            StreamConnection transport;
            try
            {
                socket.NoDelay = true;
                transport = CreateTransport(socket);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                socket.Dispose(); // reset before we got to it
                continue;
            }

            Serve(transport);
        }
    }

    private async Task ServeAsync(IAcceptedConnection transport)
    {
        int open = Interlocked.Increment(ref _open);
        bool handedOver = false;
        try
        {
            if (Limits.MaximumConnections > 0 && open > Limits.MaximumConnections)
            {
                NetLog.TooManyConnections(Logger, Name, transport.RemoteEndPoint, Limits.MaximumConnections);
                transport.Close();
                return;
            }

            var deadline = HandshakeDeadline.Start(Limits.HandshakeTimeout, transport, () => NetLog.HandshakeTimedOut(Logger, Name, transport.RemoteEndPoint));
            if (!await Broker.AcceptAsync(transport).ConfigureAwait(false)
                || !await HandshakeAsync(transport, deadline?.Token ?? CancellationToken.None).ConfigureAwait(false))
            {
                transport.Close();
                return;
            }

            IConnectionEngine engine = Broker.Connect(transport);
            deadline?.Attach(engine);

            // Not awaited: the receive loop owns the connection from here and counts it out when it ends, so
            // this method's state machine (and its closure) is not kept alive for as long as the client stays.
            transport.Run(engine, static listener => ((SocketListenerEndpoint)listener!).ConnectionEnded(), this);
            handedOver = true;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            transport.Close();
        }
        finally
        {
            if (!handedOver)
            {
                ConnectionEnded();
            }
        }
    }

    private void ConnectionEnded() => Interlocked.Decrement(ref _open);
}

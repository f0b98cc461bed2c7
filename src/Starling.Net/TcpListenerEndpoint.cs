using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Starling.Broker;
using Starling.Broker.Hooks;

namespace Starling.Net;

/// <summary>
/// A plain TCP listener on our own socket transport: accepts, runs OnAccept, and hands each socket to the
/// engine. Stopping closes the listening socket; open connections are closed by the broker's stop.
/// </summary>
public sealed class TcpListenerEndpoint : IAsyncDisposable
{
    private readonly MqttBroker _broker;
    private readonly IPEndPoint _endPoint;
    private readonly ILogger _logger;
    private Socket? _listener;
    private Task? _acceptLoop;

    /// <summary>Creates a listener; nothing is bound until <see cref="Start"/>.</summary>
    public TcpListenerEndpoint(MqttBroker broker, IPEndPoint endPoint, string name, ILogger logger)
    {
        _broker = broker;
        _endPoint = endPoint;
        Name = name;
        _logger = logger;
    }

    /// <summary>The listener's name, as hooks see it.</summary>
    public string Name { get; }

    /// <summary>The bound address (with the real port when 0 was asked for).</summary>
    public IPEndPoint? LocalEndPoint => _listener?.LocalEndPoint as IPEndPoint;

    /// <summary>Binds and starts accepting.</summary>
    public void Start()
    {
        var socket = new Socket(_endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (_endPoint.AddressFamily == AddressFamily.InterNetworkV6 && _endPoint.Address.Equals(IPAddress.IPv6Any))
        {
            socket.DualMode = true; // "all interfaces" covers IPv4 too
        }

        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        socket.Bind(_endPoint);
        socket.Listen(4096);
        _listener = socket;
        _acceptLoop = AcceptLoopAsync(socket);
        NetLog.Listening(_logger, Name, LocalEndPoint);
    }

    /// <summary>Stops accepting and closes the listening socket.</summary>
    public async Task StopAsync()
    {
        _listener?.Dispose();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

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
                NetLog.AcceptFailed(_logger, Name, ex.SocketErrorCode.ToString());
                await Task.Delay(10).ConfigureAwait(false);
                continue;
            }

            _ = ServeAsync(socket);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        try
        {
            socket.NoDelay = true;
            var transport = new TcpConnection(socket, Name);
            if (!await _broker.AcceptAsync(new AcceptContext(transport.RemoteEndPoint, transport.LocalEndPoint, Name)).ConfigureAwait(false))
            {
                transport.Close();
                return;
            }

            await transport.RunAsync(_broker.Connect(transport)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            socket.Dispose();
        }
    }
}

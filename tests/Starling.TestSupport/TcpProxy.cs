using System.Net;
using System.Net.Sockets;

namespace Starling.TestSupport;

/// <summary>
/// A TCP proxy on 127.0.0.1 in front of one server, for partitions: <see cref="Cut"/> closes every connection through
/// it and refuses new ones until <see cref="Heal"/>, as a network that fails between two hosts would.
/// </summary>
public sealed class TcpProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly List<Socket> _open = [];
    private readonly CancellationTokenSource _stop = new();
    private volatile bool _cut;

    public TcpProxy(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        _ = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Closes every connection through the proxy; new ones are closed as they come until <see cref="Heal"/>.</summary>
    public void Cut()
    {
        _cut = true;
        lock (_open)
        {
            foreach (var socket in _open)
            {
                socket.Dispose();
            }

            _open.Clear();
        }
    }

    /// <summary>Lets connections through again.</summary>
    public void Heal() => _cut = false;

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        Cut();
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            if (_cut)
            {
                client.Dispose();
                continue;
            }

            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(Socket client)
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        try
        {
            await server.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            client.Dispose();
            server.Dispose();
            return;
        }

        lock (_open)
        {
            _open.Add(client);
            _open.Add(server);
        }

        // Either direction ending (a cut, or a side closing) ends both.
        await Task.WhenAny(PumpAsync(client, server), PumpAsync(server, client));
        client.Dispose();
        server.Dispose();
    }

    private static async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16384];
        try
        {
            while (true)
            {
                int read = await from.ReceiveAsync(buffer, SocketFlags.None);
                if (read == 0)
                {
                    return;
                }

                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }
}

using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.TestSupport;

/// <summary>
/// A bare socket speaking through the packet library, for what real clients will not do on purpose:
/// malformed bytes, never acknowledging, going silent, closing without DISCONNECT.
/// </summary>
public sealed class RawClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly MqttProtocolVersion _version;
    private byte[] _buffer = new byte[64 * 1024];
    private int _filled;

    /// <summary>How long <see cref="ReceiveAsync()"/> waits.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private RawClient(Socket socket, MqttProtocolVersion version)
    {
        _socket = socket;
        _version = version;
    }

    public static Task<RawClient> ConnectAsync(int port, MqttProtocolVersion version = MqttProtocolVersion.V311) =>
        ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), version);

    /// <summary>Connects to <paramref name="endPoint"/>; <paramref name="configure"/> may set socket options first (a small receive buffer).</summary>
    public static async Task<RawClient> ConnectAsync(IPEndPoint endPoint, MqttProtocolVersion version, Action<Socket>? configure = null)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        configure?.Invoke(socket);
        await socket.ConnectAsync(endPoint);
        return new RawClient(socket, version);
    }

    /// <summary>This end's address, as the broker sees the peer.</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    /// <summary>Connects and sends CONNECT, returning the CONNACK.</summary>
    public static async Task<(RawClient Client, ConnAckPacket ConnAck)> ConnectAsync(int port, ConnectPacket connect)
    {
        var client = await ConnectAsync(port, connect.ProtocolVersion);
        await client.SendAsync(connect);
        var connack = await client.ReceiveAsync(DefaultTimeout);
        return (client, connack as ConnAckPacket ?? throw new InvalidOperationException($"Expected CONNACK, got {connack?.Type.ToString() ?? "the close"}."));
    }

    public async Task SendAsync(MqttPacket packet)
    {
        var writer = new ArrayBufferWriter<byte>();
        MqttPacketWriter.Write(packet, _version, writer);
        await SendRawAsync(writer.WrittenMemory);
    }

    public async Task SendRawAsync(ReadOnlyMemory<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            int sent = await _socket.SendAsync(bytes, SocketFlags.None);
            bytes = bytes[sent..];
        }
    }

    /// <summary>The next packet, or null when the broker closed the connection; throws on timeout.</summary>
    public async Task<MqttPacket?> ReceiveAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            var sequence = new ReadOnlySequence<byte>(_buffer, 0, _filled);
            if (MqttPacketReader.TryRead(ref sequence, _version == MqttProtocolVersion.Unknown ? MqttProtocolVersion.V311 : _version, 268_435_460, out var packet))
            {
                int consumed = _filled - (int)sequence.Length;
                _buffer.AsSpan(consumed, _filled - consumed).CopyTo(_buffer);
                _filled -= consumed;
                return packet;
            }

            if (_filled == _buffer.Length)
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }

            int received;
            try
            {
                received = await _socket.ReceiveAsync(_buffer.AsMemory(_filled), SocketFlags.None, cts.Token);
            }
            catch (SocketException)
            {
                return null;
            }

            if (received == 0)
            {
                return null;
            }

            _filled += received;
        }
    }

    /// <summary>The next packet within <see cref="DefaultTimeout"/>, or null when the broker closed the connection.</summary>
    public Task<MqttPacket?> ReceiveAsync() => ReceiveAsync(DefaultTimeout);

    /// <summary>The next packet, which must be a <typeparamref name="T"/>.</summary>
    public async Task<T> ReceiveAsync<T>()
        where T : MqttPacket
    {
        var packet = await ReceiveAsync();
        return packet as T ?? throw new InvalidOperationException($"Expected {typeof(T).Name}, got {packet?.Type.ToString() ?? "the close"}.");
    }

    /// <summary>True when the broker closes the connection before sending anything more (within <see cref="DefaultTimeout"/>).</summary>
    public async Task<bool> ClosedAsync() => await ReceiveAsync() is null;

    /// <summary>Waits until the broker closes the connection; false if it is still open after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForCloseAsync(TimeSpan timeout)
    {
        try
        {
            while (true)
            {
                if (await ReceiveAsync(timeout) is null)
                {
                    return true;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Closes the socket without DISCONNECT, as a crashed client would.</summary>
    public void Drop() => _socket.Close(0);

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}

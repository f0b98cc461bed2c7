using System.Buffers;
using System.Net.Sockets;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Examples.Tests;

/// <summary>
/// A bare socket speaking through Starling's packet codec, to check packet by packet what the broker sends.
/// A minimal copy of Starling.Interop.Tests' RawClient (this project does not reference that one).
/// </summary>
internal sealed class RawPacketClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly MqttProtocolVersion _version;
    private byte[] _buffer = new byte[64 * 1024];
    private int _filled;

    private RawPacketClient(Socket socket, MqttProtocolVersion version)
    {
        _socket = socket;
        _version = version;
    }

    public static async Task<RawPacketClient> ConnectAsync(int port, MqttProtocolVersion version = MqttProtocolVersion.V500)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var cts = new CancellationTokenSource(Mqtt.Timeout);
        await socket.ConnectAsync("127.0.0.1", port, cts.Token);
        return new RawPacketClient(socket, version);
    }

    public async Task SendAsync(MqttPacket packet)
    {
        var writer = new ArrayBufferWriter<byte>();
        MqttPacketWriter.Write(packet, _version, writer);
        var bytes = writer.WrittenMemory;
        while (!bytes.IsEmpty)
        {
            int sent = await _socket.SendAsync(bytes, SocketFlags.None);
            bytes = bytes[sent..];
        }
    }

    /// <summary>The next packet, or null when the broker closed the connection; throws after <see cref="Mqtt.Timeout"/>.</summary>
    public async Task<MqttPacket?> ReceiveAsync()
    {
        using var cts = new CancellationTokenSource(Mqtt.Timeout);
        while (true)
        {
            var sequence = new ReadOnlySequence<byte>(_buffer, 0, _filled);
            if (MqttPacketReader.TryRead(ref sequence, _version, 268_435_460, out var packet))
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

    /// <summary>The next packet, which must be a <typeparamref name="T"/>.</summary>
    public async Task<T> ReceiveAsync<T>()
        where T : MqttPacket
    {
        var packet = await ReceiveAsync();
        return Assert.IsType<T>(packet);
    }

    /// <summary>True when the broker closes the connection before sending anything more (within <see cref="Mqtt.Timeout"/>).</summary>
    public async Task<bool> ClosedAsync() => await ReceiveAsync() is null;

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}

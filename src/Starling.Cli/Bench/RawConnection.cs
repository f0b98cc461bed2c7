using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Cli.Bench;

/// <summary>What a <see cref="RawConnection"/>'s read loop hands each packet to.</summary>
internal interface IPacketSink
{
    /// <summary>One whole packet; <paramref name="body"/> is valid only during the call.</summary>
    void OnPacket(in MqttFixedHeader header, in ReadOnlySequence<byte> body);

    /// <summary>After the packets of one socket read: a chance to send what they asked for in one write.</summary>
    ValueTask OnBatchEndAsync();
}

/// <summary>
/// One MQTT connection on a raw socket and the packet library, for the load generator: a handshake through
/// the allocating reader, then one read loop that parses in place and a send path that writes whole batches.
/// </summary>
internal sealed class RawConnection : IAsyncDisposable
{
    private const uint MaximumPacketSize = 268_435_460;
    private readonly Socket _socket;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    private RawConnection(Socket socket, MqttProtocolVersion version)
    {
        _socket = socket;
        Version = version;
    }

    public MqttProtocolVersion Version { get; }

    public ConnAckPacket? ConnAck { get; private set; }

    /// <summary>The broker's Receive Maximum (5.0), or 65535.</summary>
    public int ReceiveMaximum => ConnAck?.Properties?.ReceiveMaximum ?? ushort.MaxValue;

    /// <summary>Connects and completes the MQTT handshake; <paramref name="receiveBufferSize"/> (SO_RCVBUF, set before connecting) is for stalled subscribers.</summary>
    public static async Task<RawConnection> ConnectAsync(BenchSettings settings, string clientId, CancellationToken cancellationToken, int? receiveBufferSize = null, bool persistent = false, int? port = null)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBufferSize is { } size)
        {
            socket.ReceiveBufferSize = size;
        }

        var connection = new RawConnection(socket, settings.Version);
        try
        {
            await socket.ConnectAsync(settings.Host, port ?? settings.Port, cancellationToken).ConfigureAwait(false);
            await connection.SendPacketAsync(
                new ConnectPacket
                {
                    ProtocolVersion = settings.Version,
                    ClientId = clientId,
                    CleanSession = !persistent || settings.Version == MqttProtocolVersion.V500, // 5.0: a new session that outlives the connection
                    KeepAlive = 0,
                    Properties = settings.Version == MqttProtocolVersion.V500 ? new MqttProperties { SessionExpiryInterval = persistent ? 300u : null } : null,
                },
                cancellationToken).ConfigureAwait(false);
            var answer = await connection.ReadPacketAsync(cancellationToken).ConfigureAwait(false);
            if (answer is not ConnAckPacket connAck)
            {
                throw new IOException($"expected CONNACK, got {answer.Type}.");
            }

            if (connAck.ReasonCode.IsFailure())
            {
                throw new CliException(ExitCodes.Refused, $"the broker refused the connection: {connAck.ReasonCode} (0x{(byte)connAck.ReasonCode:X2}).");
            }

            connection.ConnAck = connAck;
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async Task SendPacketAsync(MqttPacket packet, CancellationToken cancellationToken)
    {
        var writer = new ArrayBufferWriter<byte>();
        MqttPacketWriter.Write(packet, Version, writer);
        await SendAsync(writer.WrittenMemory, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes <paramref name="bytes"/> whole; safe to call from the read loop and a publisher at once.</summary>
    public async ValueTask SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (!bytes.IsEmpty)
            {
                var sent = await _socket.SendAsync(bytes, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                bytes = bytes[sent..];
            }
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Reads one packet with the allocating reader (handshake, SUBACK).</summary>
    public async Task<MqttPacket> ReadPacketAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var buffer = new ReadOnlySequence<byte>(_buffer, _start, _end - _start);
            if (MqttPacketReader.TryRead(ref buffer, Version, MaximumPacketSize, out var packet))
            {
                _start = _end - (int)buffer.Length;
                return packet;
            }

            await FillAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads until the connection closes, handing every packet to <paramref name="sink"/>.</summary>
    public async Task ReadLoopAsync(IPacketSink sink, CancellationToken cancellationToken)
    {
        while (true)
        {
            var buffer = new ReadOnlySequence<byte>(_buffer, _start, _end - _start);
            var handled = false;
            while (MqttPacketReader.TryReadFixedHeader(buffer, MaximumPacketSize, out var header) && buffer.Length >= header.PacketLength)
            {
                sink.OnPacket(header, buffer.Slice(header.HeaderLength, header.RemainingLength));
                buffer = buffer.Slice(header.PacketLength);
                _start += header.PacketLength;
                handled = true;
            }

            if (handled)
            {
                await sink.OnBatchEndAsync().ConfigureAwait(false);
            }

            await FillAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads more bytes, compacting or growing the buffer first. Throws <see cref="EndOfStreamException"/> at the end.</summary>
    private async ValueTask FillAsync(CancellationToken cancellationToken)
    {
        if (_start > 0 && (_start == _end || _end > _buffer.Length / 2))
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }

        var read = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            throw new EndOfStreamException("the broker closed the connection.");
        }

        _end += read;
    }

    /// <summary>Sends DISCONNECT (best effort) and closes.</summary>
    public async Task DisconnectAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await SendPacketAsync(new DisconnectPacket(), timeout.Token).ConfigureAwait(false);
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException or IOException)
        {
            // Closing anyway.
        }

        await DisposeAsync().ConfigureAwait(false);
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>The packet identifier at the start of an acknowledgement's body.</summary>
    public static ushort ReadPacketId(in ReadOnlySequence<byte> body)
    {
        Span<byte> id = stackalloc byte[2];
        body.Slice(0, 2).CopyTo(id);
        return BinaryPrimitives.ReadUInt16BigEndian(id);
    }
}

using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using Starling.Interop.Tests.Infrastructure;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Interop.Tests.Listeners;

/// <summary>
/// A connection the broker ends with a reason (here DISCONNECT 0x93, Receive Maximum exceeded [MQTT-3.3.4-9]) lingers: the
/// broker ends its output and reads and drops what the client still sends, so a client that keeps writing (a PUBREL for
/// each PUBREC it reads) reads the DISCONNECT and its reason and then a clean end of stream, never a reset. Closing at
/// once would make the kernel answer the client's next bytes, or the unread ones, with a reset. On every transport.
/// </summary>
public sealed class LingeringCloseTests(CertificatesFixture fixture) : IClassFixture<CertificatesFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    public static TheoryData<string> Transports => ["tcp-epoll", "tcp-sockets", "tls", "ws"];

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task ReceiveMaximumExceeded_TheClientKeepsWriting_ReadsDisconnect0x93_AndNoReset_MQTT_3_3_4_9(string transport)
    {
        await using var broker = await StartAsync(transport);
        await using var client = await ConnectAsync(broker, transport);

        // Receive Maximum 2: the third QoS 2 PUBLISH, sent with the others before reading anything, is one too many.
        var burst = new ArrayBufferWriter<byte>();
        for (ushort id = 1; id <= 3; id++)
        {
            MqttPacketWriter.Write(new PublishPacket { Topic = "linger/q2", QoS = MqttQualityOfService.ExactlyOnce, PacketId = id, Payload = new byte[10] }, MqttProtocolVersion.V500, burst);
        }

        await client.WriteAsync(burst.WrittenMemory);
        await Task.Delay(300); // the broker answers and ends the connection meanwhile

        // Still writing after the broker's last packet: each PUBREC read is answered with PUBREL, as a client does.
        var received = new List<MqttPacket>();
        while (await client.ReadPacketAsync() is { } packet)
        {
            received.Add(packet);
            if (packet is PubRecPacket rec)
            {
                await client.WriteAsync(Encode(new PubRelPacket { PacketId = rec.PacketId }));
                await Task.Delay(100); // a reset, were one coming, would be here before the next read
            }
        }

        Assert.Equal(["PubRec", "PubRec", "Disconnect"], received.Select(p => p.Type.ToString()));
        Assert.Equal(MqttReasonCode.ReceiveMaximumExceeded, ((DisconnectPacket)received[^1]).ReasonCode);
        Assert.True(client.EndedCleanly, $"the stream ended with {client.Failure}");
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task ProtocolError_WithMoreBytesUnread_TheClientStillReadsTheDisconnect_AndNoReset(string transport)
    {
        await using var broker = await StartAsync(transport);
        await using var client = await ConnectAsync(broker, transport);

        // A PUBLISH with a wildcard topic (DISCONNECT 0x90), followed in the same write by 256 KB of valid PUBLISH packets
        // the broker never gets to read before it decides to close.
        var burst = new ArrayBufferWriter<byte>();
        MqttPacketWriter.Write(new PublishPacket { Topic = "bad/+", Payload = new byte[1] }, MqttProtocolVersion.V500, burst);
        for (int i = 0; i < 64; i++)
        {
            MqttPacketWriter.Write(new PublishPacket { Topic = "linger/more", Payload = new byte[4096] }, MqttProtocolVersion.V500, burst);
        }

        await client.WriteAsync(burst.WrittenMemory);
        var disconnect = Assert.IsType<DisconnectPacket>(await client.ReadPacketAsync());
        Assert.Equal(MqttReasonCode.TopicNameInvalid, disconnect.ReasonCode);
        Assert.Null(await client.ReadPacketAsync());
        Assert.True(client.EndedCleanly, $"the stream ended with {client.Failure}");
    }

    private Task<BrokerFixture> StartAsync(string transport)
    {
        string[] limits = ["--Starling:ReceiveMaximum=2"];
        return transport switch
        {
            "tcp-epoll" => BrokerFixture.StartAsync(null, [.. limits, "--Starling:TcpTransport=epoll"]),
            "tcp-sockets" => BrokerFixture.StartAsync(null, [.. limits, "--Starling:TcpTransport=sockets"]),
            "tls" => BrokerFixture.StartAsync(null, [.. limits, .. Listener.Tls("secure", fixture.Certificates)]),
            _ => BrokerFixture.StartAsync(null, [.. limits, .. Listener.Declare("web", "ws")]),
        };
    }

    private async Task<ByteClient> ConnectAsync(BrokerFixture broker, string transport)
    {
        ByteClient client = transport switch
        {
            "tls" => await ByteClient.TlsAsync(broker.PortOf("secure"), fixture.Certificates),
            "ws" => await ByteClient.WebSocketAsync(broker.PortOf("web")),
            _ => await ByteClient.TcpAsync(broker.Port),
        };

        await client.WriteAsync(Encode(new ConnectPacket { ProtocolVersion = MqttProtocolVersion.V500, ClientId = "linger-" + transport, KeepAlive = 60 }));
        var connack = Assert.IsType<ConnAckPacket>(await client.ReadPacketAsync());
        Assert.Equal(MqttReasonCode.Success, connack.ReasonCode);
        return client;
    }

    private static ReadOnlyMemory<byte> Encode(MqttPacket packet)
    {
        var writer = new ArrayBufferWriter<byte>();
        MqttPacketWriter.Write(packet, MqttProtocolVersion.V500, writer);
        return writer.WrittenMemory;
    }

    /// <summary>
    /// MQTT 5.0 bytes over one transport, telling a clean end of the stream (FIN, TLS close_notify, WebSocket close frame)
    /// from a reset or any other failure.
    /// </summary>
    private sealed class ByteClient : IAsyncDisposable
    {
        private readonly Func<ReadOnlyMemory<byte>, Task> _write;
        private readonly Func<Memory<byte>, Task<int>> _read;
        private readonly IDisposable _owner;
        private byte[] _buffer = new byte[64 * 1024];
        private int _filled;

        private ByteClient(Func<ReadOnlyMemory<byte>, Task> write, Func<Memory<byte>, Task<int>> read, IDisposable owner)
        {
            _write = write;
            _read = read;
            _owner = owner;
        }

        /// <summary>Whether the stream ended with a clean end of stream (not yet known while it is open).</summary>
        public bool EndedCleanly { get; private set; }

        /// <summary>What ended the stream otherwise (a reset), for the failure message.</summary>
        public Exception? Failure { get; private set; }

        public static async Task<ByteClient> TcpAsync(int port)
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync("127.0.0.1", port);
            var stream = new NetworkStream(socket, ownsSocket: true);
            return new ByteClient(b => stream.WriteAsync(b).AsTask(), b => stream.ReadAsync(b).AsTask(), stream);
        }

        public static async Task<ByteClient> TlsAsync(int port, TestCertificates certificates)
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync("127.0.0.1", port);
            var tls = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false, (_, certificate, _, _) => certificates.Issued(certificate));
            await tls.AuthenticateAsClientAsync("localhost");
            return new ByteClient(b => tls.WriteAsync(b).AsTask(), b => tls.ReadAsync(b).AsTask(), tls);
        }

        public static async Task<ByteClient> WebSocketAsync(int port)
        {
            var socket = new ClientWebSocket();
            socket.Options.AddSubProtocol("mqtt");
            await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/mqtt"), CancellationToken.None);
            return new ByteClient(
                b => socket.SendAsync(b, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None).AsTask(),
                async b =>
                {
                    var result = await socket.ReceiveAsync(b, CancellationToken.None);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                        return 0; // the broker's close frame: the clean end of a WebSocket
                    }

                    return result.Count;
                },
                socket);
        }

        public Task WriteAsync(ReadOnlyMemory<byte> bytes) => _write(bytes);

        /// <summary>The next packet; null at the end of the stream (then <see cref="EndedCleanly"/> or <see cref="Failure"/> says how it ended).</summary>
        public async Task<MqttPacket?> ReadPacketAsync()
        {
            using var timeout = new CancellationTokenSource(Wait);
            while (true)
            {
                var sequence = new ReadOnlySequence<byte>(_buffer, 0, _filled);
                if (MqttPacketReader.TryRead(ref sequence, MqttProtocolVersion.V500, 268_435_460, out var packet))
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

                int read;
                try
                {
                    read = await _read(_buffer.AsMemory(_filled)).WaitAsync(timeout.Token);
                }
                catch (Exception ex) when (ex is IOException or SocketException or WebSocketException)
                {
                    Failure = ex;
                    return null;
                }

                if (read == 0)
                {
                    EndedCleanly = _filled == 0;
                    return null;
                }

                _filled += read;
            }
        }

        public ValueTask DisposeAsync()
        {
            _owner.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}

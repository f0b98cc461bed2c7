using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Starling.Mqtt;
using Starling.Mqtt.Client;
using Starling.Mqtt.Packets;

namespace Starling.Mqtt.Client.Tests;

/// <summary>
/// A one-connection fake broker driven step by step by a test, for behaviour a real broker will not
/// produce on demand (QoS 2 resends before PUBREL, server DISCONNECT, topic aliases).
/// </summary>
public sealed class ScriptedBroker : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly MqttProtocolVersion _version;
    private Socket? _socket;
    private NetworkStream? _stream;
    private PipeReader? _reader;

    public ScriptedBroker(MqttProtocolVersion version)
    {
        _version = version;
        _listener.Start();
    }

    public MqttClientOptions Options => new()
    {
        Host = "127.0.0.1",
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port,
        ProtocolVersion = _version,
        ClientId = "scripted",
    };

    /// <summary>Connects <paramref name="client"/> and accepts it with a successful CONNACK.</summary>
    public async Task ConnectAsync(MqttClient client, Action<MqttClientOptions>? configure = null)
    {
        var options = Options;
        configure?.Invoke(options);
        var connecting = client.ConnectAsync(options, Timeout.Token);
        _socket = await _listener.AcceptSocketAsync(Timeout.Token);
        _stream = new NetworkStream(_socket, ownsSocket: true);
        _reader = PipeReader.Create(_stream);
        Assert.IsType<ConnectPacket>(await ReceiveAsync(MqttProtocolVersion.Unknown));
        await SendAsync(new ConnAckPacket { ReasonCode = MqttReasonCode.Success });
        await connecting;
    }

    public async Task SendAsync(MqttPacket packet)
    {
        var buffer = new ArrayBufferWriter<byte>();
        MqttPacketWriter.Write(packet, _version, buffer);
        await _stream!.WriteAsync(buffer.WrittenMemory, Timeout.Token);
    }

    public async Task<MqttPacket> ReceiveAsync(MqttProtocolVersion? version = null)
    {
        var token = Timeout.Token;
        while (true)
        {
            var result = await _reader!.ReadAsync(token);
            var buffer = result.Buffer;
            if (MqttPacketReader.TryRead(ref buffer, version ?? _version, MqttClientOptions.ProtocolMaximumPacketSize, out var packet))
            {
                _reader.AdvanceTo(buffer.Start);
                return packet;
            }

            _reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                throw new EndOfStreamException();
            }
        }
    }

    /// <summary>Asserts nothing arrives for a short while.</summary>
    public async Task AssertSilentAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        try
        {
            var result = await _reader!.ReadAsync(cts.Token);
            Assert.Fail($"Expected silence, received {result.Buffer.Length} bytes.");
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_reader is not null)
        {
            await _reader.CompleteAsync();
        }

        _stream?.Dispose();
        _listener.Stop();
        _listener.Dispose();
    }
}

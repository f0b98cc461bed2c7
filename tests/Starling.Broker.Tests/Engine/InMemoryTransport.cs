using System.Buffers;
using System.Net;
using System.Threading.Channels;
using Starling.Broker;
using Starling.Broker.Connections;
using Starling.Broker.Transport;
using Starling.Mqtt;
using Starling.Mqtt.Packets;
using Starling.Net;

namespace Starling.Broker.Tests.Engine;

/// <summary>
/// A transport with no socket: the test pushes bytes in (in chunks of any size, keeping the leftover as a
/// real transport does) and reads the packets the engine sent. Proves the engine is transport-agnostic.
/// </summary>
internal sealed class InMemoryTransport : IConnectionTransport
{
    private readonly Channel<byte[]> _sent = Channel.CreateUnbounded<byte[]>();
    private readonly MqttProtocolVersion _version;
    private byte[] _pending = [];
    private readonly SemaphoreSlim _feeding = new(1, 1);
    private byte[] _received = [];
    private volatile TaskCompletionSource? _sendsPaused;
    private long _discardedBytes;

    public InMemoryTransport(MqttBroker broker, MqttProtocolVersion version = MqttProtocolVersion.V311)
    {
        _version = version;
        Connection = broker.Connect(this);
    }

    public MqttConnection Connection { get; }

    public EndPoint? RemoteEndPoint { get; } = new IPEndPoint(IPAddress.Loopback, 50000);

    public EndPoint? LocalEndPoint { get; } = new IPEndPoint(IPAddress.Loopback, 1883);

    public string ListenerName => "memory";

    public TaskCompletionSource Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Whether sent bytes are thrown away (a fast reader whose packets the test does not look at); see <see cref="DiscardedBytes"/>.</summary>
    public bool DiscardSends { get; set; }

    /// <summary>How many bytes were thrown away while <see cref="DiscardSends"/> was set.</summary>
    public long DiscardedBytes => Volatile.Read(ref _discardedBytes);

    public ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (DiscardSends)
        {
            Interlocked.Add(ref _discardedBytes, data.Length);
            return ValueTask.CompletedTask;
        }

        var copy = data.ToArray();
        var paused = _sendsPaused;
        if (paused is not null)
        {
            return new ValueTask(SendWhenResumedAsync(paused.Task, copy));
        }

        _sent.Writer.TryWrite(copy);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// The segments arrive as one send, gathered into a pooled buffer as the TLS and WebSocket transports gather them
    /// (the allocation tests measure the engine with this transport, so it uses the pool as they do).
    /// </summary>
    public ValueTask SendAsync(IList<ArraySegment<byte>> segments, CancellationToken cancellationToken) =>
        GatheredSend.SendAsync(this, segments, cancellationToken);

    /// <summary>
    /// Sends stop completing, as a client that stops reading: the engine's send buffer fills up behind the send
    /// in progress (what it already wrote arrives in order after <see cref="ResumeSends"/>).
    /// </summary>
    public void PauseSends() => _sendsPaused = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void ResumeSends()
    {
        var paused = _sendsPaused;
        _sendsPaused = null;
        paused?.TrySetResult();
    }

    private async Task SendWhenResumedAsync(Task resumed, byte[] copy)
    {
        await resumed;
        _sent.Writer.TryWrite(copy);
    }

    public void Close()
    {
        if (Closed.TrySetResult())
        {
            _sent.Writer.TryComplete();
            _ = Connection.TransportClosedAsync();
        }
    }

    /// <summary>Feeds bytes as a transport would: appended to what was left, whole packets consumed.</summary>
    /// <remarks>
    /// One feed at a time, as a transport's single receive loop does: a collector acknowledging from its own task
    /// may feed while the test feeds the next packet.
    /// </remarks>
    public async Task FeedAsync(ReadOnlyMemory<byte> bytes)
    {
        await _feeding.WaitAsync();
        try
        {
            _pending = [.. _pending, .. bytes.Span];
            long consumed = await Connection.ReceiveAsync(new ReadOnlySequence<byte>(_pending));
            _pending = _pending[(int)consumed..];
        }
        finally
        {
            _feeding.Release();
        }
    }

    public Task SendPacketAsync(MqttPacket packet)
    {
        var writer = new ArrayBufferWriter<byte>();
        MqttPacketWriter.Write(packet, _version, writer);
        return FeedAsync(writer.WrittenMemory);
    }

    /// <summary>The next packet the engine wrote, or null once the connection closed.</summary>
    public async Task<MqttPacket?> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(5));
        while (true)
        {
            var sequence = new ReadOnlySequence<byte>(_received);
            if (MqttPacketReader.TryRead(ref sequence, _version, uint.MaxValue, out var packet))
            {
                _received = _received[(_received.Length - (int)sequence.Length)..];
                return packet;
            }

            try
            {
                if (!await _sent.Reader.WaitToReadAsync(cts.Token))
                {
                    return null;
                }
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException("the engine sent nothing");
            }

            while (_sent.Reader.TryRead(out var chunk))
            {
                _received = [.. _received, .. chunk];
            }
        }
    }

    public async Task<ConnAckPacket> ConnectAsync(string clientId, bool clean = true)
    {
        await SendPacketAsync(new ConnectPacket { ProtocolVersion = _version, ClientId = clientId, CleanSession = clean, KeepAlive = 60 });
        return Assert.IsType<ConnAckPacket>(await NextAsync());
    }
}

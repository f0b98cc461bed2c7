using Starling.Broker.Routing;
using Starling.Broker.Transport;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Broker.Connections;

/// <summary>What the output tells its connection.</summary>
internal interface IOutputOwner
{
    /// <summary>A batch has left: there is room again for what the session queued.</summary>
    void OnOutputDrained();
}

/// <summary>
/// The write side of one connection, as Kestrel's Http1OutputProducer is for HTTP: packets are encoded into one
/// <see cref="SendBuffer"/> under its lock, and a single flush job hands the whole batch to the transport. While a send
/// is under way, new packets pile up behind it and leave together in the next one: one send per batch, not per packet.
/// It also owns how the connection ends on the wire: once <see cref="Complete"/> is called nothing more is written,
/// what is waiting still goes, and then the transport is closed, lingering when there was something left to say.
/// </summary>
internal sealed class ConnectionOutput : IThreadPoolWorkItem
{
    /// <summary>How much one send call hands the transport; the send timeout restarts after each.</summary>
    private const int SendSliceBytes = 256 * 1024;

    /// <summary>How long the last packets of a closing connection get to leave before the transport is closed anyway.</summary>
    private static readonly TimeSpan LastPacketsTimeout = TimeSpan.FromSeconds(2);

    private readonly IConnectionTransport _transport;
    private readonly IOutputOwner _owner;
    private readonly BrokerOptions _options;
    private readonly Diagnostics.BrokerMetrics _metrics;
    private long _publishesWritten;

    /// <summary>The packets waiting to go out; also the output's lock (no separate lock object per connection).</summary>
    private readonly SendBuffer _buffer;
    private PublishShaper _shaper = PublishShaper.None;
    private bool _flushing;
    private bool _acceptsPublishes;
    private bool _completed;

    /// <summary>The thread handling received bytes synchronously right now (see <see cref="BeginReceive"/>), or 0.</summary>
    private int _receivingThread;

    /// <summary>A flush was asked for on the receiving thread; it runs when the received bytes are handled.</summary>
    private bool _flushDeferred;

    /// <summary>Completed with packets still to send: once they are out, the transport lingers (<see cref="BrokerOptions.CloseLingerSeconds"/>).</summary>
    private bool _lingerAfterFlush;
    private bool _lastPacketsSent;
    private int _sendingBytes;
    private long _sendingSince;
    private List<ArraySegment<byte>>? _segments;
    private List<ArraySegment<byte>>? _slice;

    public ConnectionOutput(IConnectionTransport transport, IOutputOwner owner, BrokerOptions options, Diagnostics.BrokerMetrics metrics)
    {
        _metrics = metrics;
        _transport = transport;
        _owner = owner;
        _options = options;
        _buffer = new SendBuffer(options.MaximumSendBufferBytes);
    }

    /// <summary>Whether the bytes waiting to go out reach the configured limit; a slow reader stops getting more.</summary>
    public bool IsFull => _buffer.Length + Volatile.Read(ref _sendingBytes) >= _options.MaximumSendBufferBytes;

    /// <summary>When the send under way started (Environment.TickCount64), 0 when none is: the send timeout reads it.</summary>
    public long SendingSince => Volatile.Read(ref _sendingSince);

    /// <summary>The CONNECT was accepted: PUBLISH packets may now be written, shaped by <paramref name="shaper"/>.</summary>
    public void AcceptPublishes(PublishShaper shaper)
    {
        lock (_buffer)
        {
            _shaper = shaper;
            _acceptsPublishes = !_completed;
        }
    }

    /// <summary>Whether <paramref name="message"/> fits this client; gives the delivery's overrides for <see cref="TryWritePublish"/>.</summary>
    public bool Fits(in OutgoingMessage message, out MqttPublishOverrides overrides) => _shaper.Fits(message, out overrides);

    /// <summary>
    /// Encodes a PUBLISH with the overrides <see cref="Fits"/> gave. QoS 0 is refused (false) when the buffer is full;
    /// QoS 1 and 2 are held to the in-flight window by the session, so they are always written while the connection is up.
    /// </summary>
    public bool TryWritePublish(in OutgoingMessage message, MqttPublishOverrides overrides, ushort packetId, bool dup)
    {
        lock (_buffer)
        {
            if (!_acceptsPublishes || (message.QoS == MqttQualityOfService.AtMostOnce && IsFull))
            {
                return false;
            }

            _shaper.Write(_buffer, message, overrides, packetId, dup);
        }

        _metrics.MessageSent(message.QoS);
        _metrics.CopyWritten(message.Message.ReceivedTimestamp, ++_publishesWritten);

        ScheduleFlush();
        return true;
    }

    /// <summary>Encodes a packet for <paramref name="version"/>; nothing once the output is complete.</summary>
    public void Write(MqttPacket packet, MqttProtocolVersion version)
    {
        lock (_buffer)
        {
            if (_completed)
            {
                return;
            }

            MqttPacketWriter.Write(packet, version, _buffer);
        }

        ScheduleFlush();
    }

    /// <summary>
    /// Received bytes are being handled on this thread: the answers they produce (CONNACK, SUBACK, PUBACK...) go out
    /// inline at <see cref="EndReceive"/>, in one send, without a hop through the thread pool.
    /// </summary>
    public void BeginReceive() => _receivingThread = Environment.CurrentManagedThreadId;

    /// <summary>Ends <see cref="BeginReceive"/> and runs the flush it deferred, on this thread.</summary>
    public void EndReceive()
    {
        _receivingThread = 0;
        if (_flushDeferred)
        {
            _flushDeferred = false;
            _ = FlushAsync(); // completes here unless the socket is full
        }
    }

    /// <summary>
    /// Nothing more is written: what is already in the buffer (a CONNACK refusal, a DISCONNECT with its reason) still
    /// goes out, then the transport is closed, lingering after those last packets so that a client still writing reads
    /// them instead of meeting a reset. With nothing left to send it closes at once.
    /// </summary>
    public void Complete()
    {
        bool closeNow;
        lock (_buffer)
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
            _acceptsPublishes = false;
            closeNow = !_flushing && _buffer.IsEmpty;
            _lingerAfterFlush = !closeNow && _options.CloseLingerSeconds > 0;
        }

        if (closeNow)
        {
            _transport.Close();
            return;
        }

        ScheduleFlush();
        _ = CloseIfStuckAsync();
    }

    /// <summary>About once a second (the sweep): an idle connection gives its kept send array back.</summary>
    public void Trim()
    {
        lock (_buffer)
        {
            _buffer.TrimIdle();
        }
    }

    /// <summary>The transport has closed: drops what waits, unless a flush still holds it (it clears it itself).</summary>
    public void Discard()
    {
        lock (_buffer)
        {
            _acceptsPublishes = false;
            _completed = true;
            if (!_flushing)
            {
                _buffer.Clear();
            }
        }
    }

    /// <inheritdoc />
    void IThreadPoolWorkItem.Execute() => _ = FlushAsync();

    private void ScheduleFlush()
    {
        lock (_buffer)
        {
            if (_flushing || _buffer.IsEmpty)
            {
                return;
            }

            _flushing = true;
            if (_receivingThread == Environment.CurrentManagedThreadId)
            {
                // Our own answer while we handle this client's bytes: it goes out inline once they are handled.
                _flushDeferred = true;
                return;
            }
        }

        // The flush runs on the thread pool, so the thread that encoded the packet (often another client's receive
        // loop fanning out) goes on at once, and packets written meanwhile join the same send.
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    private async Task CloseIfStuckAsync()
    {
        // A peer that stops reading must not keep a closing connection alive. Once the last packets have left, the
        // transport's linger decides (closing here would cut it short).
        await Task.Delay(LastPacketsTimeout).ConfigureAwait(false);
        if (!Volatile.Read(ref _lastPacketsSent))
        {
            _transport.Close();
        }
    }

    private async Task FlushAsync()
    {
        bool linger = false;
        try
        {
            while (true)
            {
                SendBatch batch;
                lock (_buffer)
                {
                    batch = _buffer.Take();
                    if (batch.IsEmpty)
                    {
                        _flushing = false;
                        _sendingBytes = 0;
                        if (_completed)
                        {
                            linger = _lingerAfterFlush;
                            break;
                        }

                        return;
                    }

                    _sendingBytes = batch.TotalBytes;
                }

                Volatile.Write(ref _sendingSince, Environment.TickCount64);
                try
                {
                    await SendBatchAsync(batch).ConfigureAwait(false);
                    _metrics.BytesWritten(batch.TotalBytes);
                }
                finally
                {
                    Volatile.Write(ref _sendingSince, 0);
                    _segments?.Clear(); // let the shared payloads go
                    _slice?.Clear();
                    lock (_buffer)
                    {
                        _buffer.Release(batch);
                    }
                }

                Volatile.Write(ref _sendingBytes, 0);
                _owner.OnOutputDrained();
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            lock (_buffer)
            {
                _flushing = false;
                _buffer.Clear();
            }
        }

        if (linger)
        {
            // The last packets are out: end the output and let the client read them while it may still be writing.
            Volatile.Write(ref _lastPacketsSent, true);
            _transport.CloseGracefully(TimeSpan.FromSeconds(_options.CloseLingerSeconds));
            return;
        }

        _transport.Close();
    }

    /// <summary>
    /// Sends a batch in slices of at most <see cref="SendSliceBytes"/>, restarting the send-timeout clock after each:
    /// <see cref="BrokerOptions.SendTimeoutSeconds"/> measures how long the socket takes nothing, so a client that
    /// reads slowly but steadily is not taken for one that stopped reading.
    /// </summary>
    private async ValueTask SendBatchAsync(SendBatch batch)
    {
        if (batch.Shared is null)
        {
            var memory = batch.Buffer.AsMemory(0, batch.Written);
            while (!memory.IsEmpty)
            {
                var part = memory[..Math.Min(memory.Length, SendSliceBytes)];
                await _transport.SendAsync(part, CancellationToken.None).ConfigureAwait(false);
                memory = memory[part.Length..];
                Volatile.Write(ref _sendingSince, Environment.TickCount64);
            }

            return;
        }

        // Shared payloads: vectored sends of our bytes and theirs, in order, a slice's worth of segments at a time.
        var segments = _segments ??= [];
        batch.FillSegments(segments);
        var slice = _slice ??= [];
        int sliceBytes = 0;
        for (int i = 0; i < segments.Count; i++)
        {
            slice.Add(segments[i]);
            sliceBytes += segments[i].Count;
            if (sliceBytes >= SendSliceBytes || i == segments.Count - 1)
            {
                await _transport.SendAsync(slice, CancellationToken.None).ConfigureAwait(false);
                slice.Clear();
                sliceBytes = 0;
                Volatile.Write(ref _sendingSince, Environment.TickCount64);
            }
        }
    }
}

using Starling.Broker.Hooks;
using Starling.Broker.Sessions;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Broker.Connections;

/// <summary>
/// The send side: packets are encoded into one buffer under a small lock, and a single flush job hands the
/// whole batch to the transport. While a send is under way, new packets pile up behind it and leave
/// together in the next one: one send per batch, not per packet.
/// </summary>
public sealed partial class MqttConnection : IThreadPoolWorkItem
{
    /// <summary>How much one send call hands the transport; the send timeout restarts after each.</summary>
    private const int SendSliceBytes = 256 * 1024;

    /// <summary>The packets waiting to go out; also the send side's lock (no separate lock object per connection).</summary>
    private readonly SendBuffer _send;
    private bool _flushing;

    /// <summary>The thread running <see cref="ReceiveAsync"/> synchronously right now, or 0.</summary>
    private int _receivingThread;

    /// <summary>A flush was asked for on the receiving thread; it runs when the received bytes are handled.</summary>
    private bool _flushDeferred;
    private bool _closeAfterFlush;

    /// <summary>Closing with packets still to send: once they are out, the transport lingers (<see cref="BrokerOptions.CloseLingerSeconds"/>).</summary>
    private bool _lingerAfterFlush;
    private bool _lastPacketsSent;
    private int _sendingBytes;
    private int _sendWindow = int.MaxValue;
    private long _sendingSince;
    private OutboundTopicAliases? _outboundAliases;
    private List<ArraySegment<byte>>? _sendSegments;
    private List<ArraySegment<byte>>? _sendSlice;

    /// <summary>How many QoS 1 and 2 messages may be in flight to this client.</summary>
    internal int SendWindow => Math.Min(_sendWindow, _broker.Options.MaximumInflightMessages);

    /// <summary>Whether the bytes waiting to go out reach the configured limit; a slow reader stops getting more.</summary>
    internal bool IsSendBufferFull => _send.Length + Volatile.Read(ref _sendingBytes) >= _broker.Options.MaximumSendBufferBytes;

    /// <summary>
    /// Encodes a PUBLISH for this client, with the 5.0 <paramref name="overrides"/> that <see cref="FitsClient"/>
    /// worked out for it. QoS 0 is refused (false) when the send buffer is full; QoS 1 and 2 are held to the
    /// in-flight window by the session, so they are always written.
    /// </summary>
    internal bool TryWritePublish(in OutgoingMessage message, MqttPublishOverrides overrides, ushort packetId, bool dup)
    {
        lock (_send)
        {
            if (_state != StateConnected || (message.QoS == MqttQualityOfService.AtMostOnce && IsSendBufferFull))
            {
                return false;
            }

            var topic = message.Message.TopicUtf8.AsSpan();
            if (_version == MqttProtocolVersion.V500 && _clientTopicAliasMaximum > 0 && _broker.Options.OutboundTopicAliasMaximum > 0)
            {
                var aliases = _outboundAliases ??= new OutboundTopicAliases(Math.Min(_clientTopicAliasMaximum, _broker.Options.OutboundTopicAliasMaximum));
                overrides = overrides with { TopicAlias = aliases.Get(message.Message.Topic, out bool known) };
                if (known)
                {
                    topic = default; // the client already maps this alias to the topic [MQTT-3.3.2-12]
                }
            }

            // The message's properties are shared by every delivery; only the overrides are this client's.
            var payload = message.Message.Payload;
            MqttPacketWriter.WritePublishHeader(_send, _version, topic, payload.Length, message.QoS, message.Retain, dup, packetId, message.Message.Properties, overrides);
            if (_send.WritePayload(payload))
            {
                message.Message.MarkHeld(); // the batch refers to the payload until it is sent
            }
        }

        ScheduleFlush();
        return true;
    }

    /// <summary>
    /// Whether the PUBLISH fits the client's 5.0 Maximum Packet Size. One that does not is dropped for this
    /// client alone, as if sent [MQTT-3.1.2-25]; the others still get it. Gives the delivery's 5.0 overrides
    /// (default for 3.1.1) for <see cref="TryWritePublish"/>, which is always called right after, so they are
    /// worked out once per delivery.
    /// </summary>
    internal bool FitsClient(in OutgoingMessage message, out MqttPublishOverrides overrides)
    {
        overrides = _version == MqttProtocolVersion.V500 ? DeliveryOverrides(message) : default;
        if (_clientMaximumPacketSize == uint.MaxValue)
        {
            return true;
        }

        var largest = overrides;
        if (_clientTopicAliasMaximum > 0 && _broker.Options.OutboundTopicAliasMaximum > 0)
        {
            largest = largest with { TopicAlias = 1 }; // room for an alias: the size is checked for the largest form
        }

        int size = MqttPacketWriter.GetPublishSize(_version, message.Message.TopicUtf8.Length, message.Message.Payload.Length, message.QoS, message.Message.Properties, largest);
        return (uint)size <= _clientMaximumPacketSize;
    }

    internal void WritePubRel(ushort packetId, MqttReasonCode reasonCode) =>
        WritePacket(new PubRelPacket { PacketId = packetId, ReasonCode = reasonCode });

    internal void WritePacket(MqttPacket packet) => WritePacket(packet, _version);

    private void WritePacket(MqttPacket packet, MqttProtocolVersion version)
    {
        lock (_send)
        {
            if (_state >= StateClosing)
            {
                return;
            }

            MqttPacketWriter.Write(packet, version, _send);
        }

        ScheduleFlush();
    }

    private void WriteDisconnectIfV5(MqttReasonCode reasonCode)
    {
        if (_version == MqttProtocolVersion.V500 && _state == StateConnected)
        {
            WritePacket(new DisconnectPacket { ReasonCode = reasonCode });
        }
    }

    /// <summary>
    /// Starts closing: nothing more is read or queued, what is already in the send buffer still goes out
    /// (a CONNACK refusal, a DISCONNECT with its reason), then the transport is closed.
    /// </summary>
    internal void CloseConnection(CloseReason reason)
    {
        bool closeNow;
        lock (_send)
        {
            if (_state >= StateClosing)
            {
                return;
            }

            _state = StateClosing;
            _closeReason = reason;
            _closeAfterFlush = true;
            closeNow = !_flushing && _send.IsEmpty;

            // Something is still to be sent (a DISCONNECT or CONNACK with its reason, answers): the client must be able
            // to read it while it is still writing, so the close lingers after it.
            _lingerAfterFlush = !closeNow && _broker.Options.CloseLingerSeconds > 0;
        }

        if (closeNow)
        {
            _transport.Close();
            return;
        }

        ScheduleFlush();
        _ = ForceCloseAsync();
    }

    /// <inheritdoc />
    void IThreadPoolWorkItem.Execute() => _ = FlushAsync();

    /// <summary>Ends the receiving thread's deferral and runs the flush it deferred, on this thread.</summary>
    private void RunDeferredFlush()
    {
        _receivingThread = 0;
        if (_flushDeferred)
        {
            _flushDeferred = false;
            _ = FlushAsync(); // completes here unless the socket is full
        }
    }

    private async Task ForceCloseAsync()
    {
        // A peer that stops reading must not keep a closing connection alive: the last packets get 2 s to leave. Once
        // they have, the transport's linger decides (a close right here would cut it short).
        await Task.Delay(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        if (!Volatile.Read(ref _lastPacketsSent))
        {
            _transport.Close();
        }
    }

    private void ScheduleFlush()
    {
        lock (_send)
        {
            if (_flushing || _send.IsEmpty)
            {
                return;
            }

            _flushing = true;
            if (_receivingThread == Environment.CurrentManagedThreadId)
            {
                // Our own answer (CONNACK, SUBACK, PUBACK...) while we handle this client's bytes: it goes out inline
                // once they are handled, with whatever else they produce, without a hop through the thread pool.
                _flushDeferred = true;
                return;
            }
        }

        // The flush runs on the thread pool, so the thread that encoded the packet (often another client's
        // receive loop fanning out) goes on at once, and packets written meanwhile join the same send.
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    private async Task FlushAsync()
    {
        bool linger = false;
        try
        {
            while (true)
            {
                SendBatch batch;
                lock (_send)
                {
                    batch = _send.Take();
                    if (batch.IsEmpty)
                    {
                        _flushing = false;
                        _sendingBytes = 0;
                        if (_closeAfterFlush)
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
                }
                finally
                {
                    Volatile.Write(ref _sendingSince, 0);
                    _sendSegments?.Clear(); // let the shared payloads go
                    _sendSlice?.Clear();
                    lock (_send)
                    {
                        _send.Release(batch);
                    }
                }

                Volatile.Write(ref _sendingBytes, 0);

                // Room in the send buffer again: let the session move queued messages into it.
                _session?.Pump();
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            lock (_send)
            {
                _flushing = false;
                _send.Clear();
            }
        }

        if (linger)
        {
            // The last packets are out: end the output and let the client read them while it may still be writing.
            Volatile.Write(ref _lastPacketsSent, true);
            _transport.CloseGracefully(TimeSpan.FromSeconds(_broker.Options.CloseLingerSeconds));
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
        var segments = _sendSegments ??= [];
        batch.FillSegments(segments);
        var slice = _sendSlice ??= [];
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

    private void TrimSendBuffer()
    {
        lock (_send)
        {
            _send.TrimIdle();
        }
    }

    private void ClearSendBuffer()
    {
        lock (_send)
        {
            if (!_flushing)
            {
                _send.Clear();
            }
        }
    }

    /// <summary>What this delivery sends in place of the published per-delivery properties (5.0).</summary>
    private static MqttPublishOverrides DeliveryOverrides(in OutgoingMessage message)
    {
        uint? expiry = null;
        if (message.Message.Properties?.MessageExpiryInterval is { } interval)
        {
            // [MQTT-3.3.2-6] Forward the interval that remains.
            long elapsed = (Environment.TickCount64 - message.Message.CreatedAt) / 1000;
            expiry = (uint)Math.Max(0, interval - elapsed);
        }

        return new MqttPublishOverrides { SubscriptionIdentifiers = message.SubscriptionIds, MessageExpiryInterval = expiry };
    }
}

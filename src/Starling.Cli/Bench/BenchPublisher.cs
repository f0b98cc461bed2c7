using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using Starling.Mqtt;

namespace Starling.Cli.Bench;

/// <summary>
/// One publishing connection. The PUBLISH is encoded once; each batch copies it and patches only the packet
/// id, sequence number and timestamp, then goes out in one write. A window bounds what is outstanding:
/// unacknowledged (QoS 1, 2) or not yet received by the slowest subscriber (QoS 0).
/// </summary>
internal sealed class BenchPublisher : IPacketSink
{
    private const int MaxBatch = 256;
    private readonly RawConnection _connection;
    private readonly BenchSettings _settings;
    private readonly byte[] _template;
    private readonly int _packetIdOffset;
    private readonly int _payloadOffset;
    private readonly byte[] _batch;
    private readonly int _batchCapacity;
    private readonly bool[] _idInUse = new bool[65536];
    private readonly ArrayBufferWriter<byte> _pubRels = new();
    private readonly int _window;
    private ushort _nextId;
    private long _sent;
    private long _acked;
    private long _forgiven;
    private long _errors;
    private TaskCompletionSource? _wake;

    public BenchPublisher(int index, string topic, RawConnection connection, BenchSettings settings)
    {
        Index = index;
        Topic = topic;
        _connection = connection;
        _settings = settings;
        _window = settings.QoS == MqttQualityOfService.AtMostOnce ? settings.InFlight : Math.Min(settings.InFlight, Math.Min(connection.ReceiveMaximum, 65_000));

        var topicUtf8 = Encoding.UTF8.GetBytes(topic);
        var payload = new byte[settings.Size];
        BinaryPrimitives.WriteInt64LittleEndian(payload, index);
        var writer = new ArrayBufferWriter<byte>();
        MqttPacketWriter.WritePublish(writer, settings.Version, topicUtf8, new ReadOnlySequence<byte>(payload), settings.QoS, retain: false, dup: false, packetId: 0x1234, properties: null);
        _template = writer.WrittenSpan.ToArray();
        _payloadOffset = _template.Length - payload.Length;
        _packetIdOffset = _payloadOffset - 2 - (settings.Version == MqttProtocolVersion.V500 ? 1 : 0);
        if (settings.QoS != MqttQualityOfService.AtMostOnce && BinaryPrimitives.ReadUInt16BigEndian(_template.AsSpan(_packetIdOffset)) != 0x1234)
        {
            throw new InvalidOperationException("Could not locate the packet identifier in the encoded PUBLISH.");
        }

        _batchCapacity = Math.Clamp((256 * 1024) / _template.Length, 1, MaxBatch);
        _batch = new byte[_batchCapacity * _template.Length];
    }

    public int Index { get; }

    public string Topic { get; }

    /// <summary>The subscribers' trackers for this publisher (QoS 0 window feedback and loss accounting).</summary>
    public List<SequenceTracker> Receivers { get; } = [];

    public long Sent => Volatile.Read(ref _sent);

    public long Acked => Volatile.Read(ref _acked);

    public long Errors => Volatile.Read(ref _errors);

    public bool Done => Volatile.Read(ref _sent) == 0 || _settings.QoS == MqttQualityOfService.AtMostOnce || Acked >= Sent;

    /// <summary>
    /// Messages outstanding in the window's sense: not yet received by the slowest subscriber, and for QoS 1
    /// and 2 also not yet acknowledged by the broker (acks alone would let subscribers' queues grow).
    /// </summary>
    public long Outstanding
    {
        get
        {
            var sent = Sent;
            var outstanding = _settings.QoS != MqttQualityOfService.AtMostOnce ? sent - Acked : 0;
            if (Receivers.Count == 0)
            {
                return outstanding;
            }

            var slowest = long.MaxValue;
            foreach (var receiver in Receivers)
            {
                slowest = Math.Min(slowest, receiver.Received);
            }

            return Math.Max(outstanding, sent - slowest - Volatile.Read(ref _forgiven));
        }
    }

    public RawConnection Connection => _connection;

    /// <summary>Wakes the publisher if it waits for its window (called by read loops and the progress ticker).</summary>
    public void Wake()
    {
        if (Volatile.Read(ref _wake) is not null)
        {
            Interlocked.Exchange(ref _wake, null)?.TrySetResult();
        }
    }

    public async Task RunAsync(BenchClock clock, CancellationToken cancellationToken)
    {
        var rate = _settings.Rate;
        var frequency = (double)Stopwatch.Frequency;
        var length = _template.Length;
        var windowed = _settings.QoS != MqttQualityOfService.AtMostOnce || Receivers.Count > 0;
        var lastProgress = Stopwatch.GetTimestamp();
        var lastOutstanding = -1L;
        var qos = _settings.QoS;
        while (!cancellationToken.IsCancellationRequested)
        {
            var now = Stopwatch.GetTimestamp();
            if (now >= clock.MeasureEnd)
            {
                return;
            }

            var sent = _sent;
            var allowed = (long)_batchCapacity;
            if (windowed)
            {
                var outstanding = Outstanding;
                allowed = Math.Min(allowed, _window - outstanding);
                if (allowed <= 0)
                {
                    // A message the broker dropped never arrives; after a second without progress, stop waiting for it.
                    if (outstanding != lastOutstanding)
                    {
                        lastOutstanding = outstanding;
                        lastProgress = now;
                    }
                    else if (Receivers.Count > 0 && now - lastProgress > Stopwatch.Frequency)
                    {
                        Interlocked.Add(ref _forgiven, outstanding);
                        lastProgress = now;
                        continue;
                    }

                    await WaitAsync().ConfigureAwait(false);
                    continue;
                }
            }

            if (rate > 0)
            {
                var due = (long)((now - clock.Start) / frequency * rate) + 1 - sent;
                if (due <= 0)
                {
                    var nextAt = clock.Start + (long)((sent / rate) * frequency);
                    var wait = TimeSpan.FromSeconds(Math.Max(0.001, (nextAt - now) / frequency));
                    await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                allowed = Math.Min(allowed, due);
            }

            var count = (int)allowed;
            var timestamp = Stopwatch.GetTimestamp();
            for (var k = 0; k < count; k++)
            {
                var packet = _batch.AsSpan(k * length, length);
                _template.CopyTo(packet);
                if (qos != MqttQualityOfService.AtMostOnce)
                {
                    BinaryPrimitives.WriteUInt16BigEndian(packet[_packetIdOffset..], AllocateId());
                }

                var payload = packet[_payloadOffset..];
                BinaryPrimitives.WriteInt64LittleEndian(payload[8..], sent + k);
                BinaryPrimitives.WriteInt64LittleEndian(payload[16..], timestamp);
            }

            Volatile.Write(ref _sent, sent + count);
            await _connection.SendAsync(_batch.AsMemory(0, count * length), cancellationToken).ConfigureAwait(false);
        }
    }

    private ushort AllocateId()
    {
        while (true)
        {
            _nextId = _nextId == ushort.MaxValue ? (ushort)1 : (ushort)(_nextId + 1);
            if (!Volatile.Read(ref _idInUse[_nextId]))
            {
                Volatile.Write(ref _idInUse[_nextId], true);
                return _nextId;
            }
        }
    }

    private async ValueTask WaitAsync()
    {
        var wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _wake, wake);
        if (Outstanding < _window)
        {
            Interlocked.Exchange(ref _wake, null);
            return;
        }

        await wake.Task.ConfigureAwait(false);
    }

    public void OnPacket(in MqttFixedHeader header, in ReadOnlySequence<byte> body)
    {
        switch (header.Type)
        {
            case MqttPacketType.PubAck:
            case MqttPacketType.PubComp:
                Complete(body);
                break;
            case MqttPacketType.PubRec:
                var id = RawConnection.ReadPacketId(body);
                if (body.Length > 2 && ((MqttReasonCode)body.Slice(2, 1).FirstSpan[0]).IsFailure())
                {
                    Complete(body);
                    break;
                }

                var span = _pubRels.GetSpan(4);
                span[0] = 0x62;
                span[1] = 0x02;
                BinaryPrimitives.WriteUInt16BigEndian(span[2..], id);
                _pubRels.Advance(4);
                break;
            case MqttPacketType.PingResp:
                break;
            default:
                Interlocked.Increment(ref _errors);
                break;
        }
    }

    private void Complete(in ReadOnlySequence<byte> body)
    {
        var id = RawConnection.ReadPacketId(body);
        if (body.Length > 2 && ((MqttReasonCode)body.Slice(2, 1).FirstSpan[0]).IsFailure())
        {
            Interlocked.Increment(ref _errors);
        }

        if (Volatile.Read(ref _idInUse[id]))
        {
            Volatile.Write(ref _idInUse[id], false);
            Interlocked.Increment(ref _acked);
        }
    }

    public async ValueTask OnBatchEndAsync()
    {
        if (_pubRels.WrittenCount > 0)
        {
            var bytes = _pubRels.WrittenMemory.ToArray();
            _pubRels.ResetWrittenCount();
            await _connection.SendAsync(bytes, CancellationToken.None).ConfigureAwait(false);
        }

        Wake();
    }
}

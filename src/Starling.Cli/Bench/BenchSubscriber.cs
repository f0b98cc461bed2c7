using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using Starling.Mqtt;

namespace Starling.Cli.Bench;

/// <summary>
/// One subscribing connection's read loop: per-publisher sequence tracking, end-to-end latency from the
/// timestamp in the payload, and acknowledgements coalesced into one write per socket read.
/// </summary>
internal sealed class BenchSubscriber : IPacketSink
{
    private const int MaxPublisherIndex = 1 << 20;
    private readonly RawConnection _connection;
    private readonly BenchClock _clock;
    private readonly ArrayBufferWriter<byte> _acks = new();
    private SequenceTracker?[] _trackers;
    private BenchPublisher[] _publishers = [];
    private long _deliveries;
    private long _windowDeliveries;
    private long _errors;

    public BenchSubscriber(int index, string filter, RawConnection connection, BenchClock clock, int expectedPublishers)
    {
        Index = index;
        Filter = filter;
        _connection = connection;
        _clock = clock;
        _trackers = new SequenceTracker?[Math.Max(1, expectedPublishers)];
    }

    public int Index { get; }

    public string Filter { get; }

    public RawConnection Connection => _connection;

    public LatencyHistogram Histogram { get; } = new();

    /// <summary>Every PUBLISH received, duplicates included.</summary>
    public long Deliveries => Volatile.Read(ref _deliveries);

    /// <summary>PUBLISH packets received inside the measured window.</summary>
    public long WindowDeliveries => Volatile.Read(ref _windowDeliveries);

    /// <summary>Messages that were not the bench's (payload too short, unknown publisher index).</summary>
    public long Errors => Volatile.Read(ref _errors);

    public IEnumerable<SequenceTracker> Trackers => _trackers.OfType<SequenceTracker>();

    /// <summary>Registers <paramref name="publisher"/> as a source: creates its tracker and lets this loop wake it.</summary>
    public SequenceTracker Expect(BenchPublisher publisher)
    {
        var tracker = GetTracker(publisher.Index)!;
        _publishers = [.. _publishers, publisher];
        return tracker;
    }

    public IEnumerable<(long PublisherIndex, SequenceTracker Tracker)> TrackersByPublisher()
    {
        for (var i = 0; i < _trackers.Length; i++)
        {
            if (_trackers[i] is { } tracker)
            {
                yield return (i, tracker);
            }
        }
    }

    private SequenceTracker? GetTracker(long publisherIndex)
    {
        if (publisherIndex is < 0 or >= MaxPublisherIndex)
        {
            return null;
        }

        if (publisherIndex >= _trackers.Length)
        {
            Array.Resize(ref _trackers, (int)Math.Max(publisherIndex + 1, _trackers.Length * 2L));
        }

        return _trackers[publisherIndex] ??= new SequenceTracker();
    }

    public void OnPacket(in MqttFixedHeader header, in ReadOnlySequence<byte> body)
    {
        switch (header.Type)
        {
            case MqttPacketType.Publish:
                OnPublish(header, body);
                break;
            case MqttPacketType.PubRel:
                AppendAck(0x70, RawConnection.ReadPacketId(body));
                break;
            case MqttPacketType.PingResp:
            case MqttPacketType.SubAck:
                break;
            default:
                Interlocked.Increment(ref _errors);
                break;
        }
    }

    private void OnPublish(in MqttFixedHeader header, in ReadOnlySequence<byte> body)
    {
        var now = Stopwatch.GetTimestamp();
        var view = MqttPacketReader.ReadPublish(header, body, _connection.Version);
        Volatile.Write(ref _deliveries, _deliveries + 1);
        if (view.QoS == MqttQualityOfService.AtLeastOnce)
        {
            AppendAck(0x40, view.PacketId);
        }
        else if (view.QoS == MqttQualityOfService.ExactlyOnce)
        {
            AppendAck(0x50, view.PacketId);
        }

        if (view.Payload.Length < BenchSettings.PayloadHeaderSize)
        {
            Interlocked.Increment(ref _errors);
            return;
        }

        Span<byte> head = stackalloc byte[BenchSettings.PayloadHeaderSize];
        view.Payload.Slice(0, BenchSettings.PayloadHeaderSize).CopyTo(head);
        var publisher = BinaryPrimitives.ReadInt64LittleEndian(head);
        var sequence = BinaryPrimitives.ReadInt64LittleEndian(head[8..]);
        var sentAt = BinaryPrimitives.ReadInt64LittleEndian(head[16..]);
        if (GetTracker(publisher) is not { } tracker)
        {
            Interlocked.Increment(ref _errors);
            return;
        }

        tracker.Record(sequence);
        if (_clock.InWindow(now))
        {
            Volatile.Write(ref _windowDeliveries, _windowDeliveries + 1);
            Histogram.Record(BenchClock.ToNanoseconds(now - sentAt));
        }
    }

    private void AppendAck(byte type, ushort packetId)
    {
        var span = _acks.GetSpan(4);
        span[0] = type;
        span[1] = 0x02;
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], packetId);
        _acks.Advance(4);
    }

    public async ValueTask OnBatchEndAsync()
    {
        if (_acks.WrittenCount > 0)
        {
            await _connection.SendAsync(_acks.WrittenMemory, CancellationToken.None).ConfigureAwait(false);
            _acks.ResetWrittenCount();
        }

        foreach (var publisher in _publishers)
        {
            publisher.Wake();
        }
    }
}

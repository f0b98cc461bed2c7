using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Benchmarks;

/// <summary>
/// Decoding and encoding one QoS 1 PUBLISH, the packet a broker handles most. The zero-allocation path
/// (<see cref="MqttPacketReader.ReadPublish"/> returning an <see cref="MqttPublishView"/>, and
/// <see cref="MqttPacketWriter.WritePublish"/> into a reused buffer) is compared with the allocating
/// <see cref="MqttPacketReader.Read"/> that builds a <see cref="PublishPacket"/>. For 5.0 the packet carries
/// no properties (a property length of 0).
/// </summary>
[MemoryDiagnoser]
public class PublishCodecBenchmarks
{
    private const string Topic = "sensors/building-1/floor-3/room-42/temperature";
    private const ushort PacketId = 4242;

    private readonly ArrayBufferWriter<byte> _writer = new(8192);
    private ReadOnlySequence<byte> _packet;
    private ReadOnlySequence<byte> _payload;
    private byte[] _topicUtf8 = null!;

    [Params(64, 4096)]
    public int PayloadSize { get; set; }

    [Params(MqttProtocolVersion.V311, MqttProtocolVersion.V500)]
    public MqttProtocolVersion Version { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        byte[] payload = new byte[PayloadSize];
        for (int i = 0; i < payload.Length; i++)
        {
            payload[i] = (byte)('a' + (i % 26));
        }

        _payload = new ReadOnlySequence<byte>(payload);
        _topicUtf8 = Encoding.UTF8.GetBytes(Topic);

        var packet = new PublishPacket
        {
            Topic = Topic,
            Payload = payload,
            QoS = MqttQualityOfService.AtLeastOnce,
            PacketId = PacketId,
        };
        var buffer = new ArrayBufferWriter<byte>(MqttPacketWriter.GetSize(packet, Version));
        MqttPacketWriter.Write(packet, Version, buffer);

        // A single-segment sequence over exactly the packet's bytes, as a pipe reader would hand it over.
        _packet = new ReadOnlySequence<byte>(buffer.WrittenMemory.ToArray());

        // Sanity checks, so a broken setup fails loudly instead of measuring an exception path.
        if (DecodePublish() != PacketId || DecodePublishPacket() != PacketId || EncodePublish() != _packet.Length)
        {
            throw new InvalidOperationException("The prepared PUBLISH does not round-trip.");
        }

        Console.WriteLine($"// {Version} QoS 1 PUBLISH, {PayloadSize}-byte payload: {_packet.Length} bytes on the wire.");
    }

    /// <summary>Fixed header, then the zero-allocation view of the PUBLISH.</summary>
    [Benchmark(Baseline = true)]
    public int DecodePublish()
    {
        if (!MqttPacketReader.TryReadFixedHeader(_packet, uint.MaxValue, out MqttFixedHeader header))
        {
            throw new InvalidOperationException("Incomplete fixed header.");
        }

        MqttPublishView view = MqttPacketReader.ReadPublish(header, _packet.Slice(header.HeaderLength, header.RemainingLength), Version);
        return view.PacketId;
    }

    /// <summary>Fixed header, then the allocating decode into a <see cref="PublishPacket"/>.</summary>
    [Benchmark]
    public int DecodePublishPacket()
    {
        if (!MqttPacketReader.TryReadFixedHeader(_packet, uint.MaxValue, out MqttFixedHeader header))
        {
            throw new InvalidOperationException("Incomplete fixed header.");
        }

        var packet = (PublishPacket)MqttPacketReader.Read(header, _packet.Slice(header.HeaderLength, header.RemainingLength), Version);
        return packet.PacketId;
    }

    /// <summary>Writes the same PUBLISH from parts into a reused buffer.</summary>
    [Benchmark]
    public int EncodePublish()
    {
        _writer.ResetWrittenCount();
        MqttPacketWriter.WritePublish(_writer, Version, _topicUtf8, _payload, MqttQualityOfService.AtLeastOnce, retain: false, dup: false, PacketId, properties: null);
        return _writer.WrittenCount;
    }
}

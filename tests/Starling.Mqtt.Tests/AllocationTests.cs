using System.Buffers;
using Starling.Mqtt.Packets;
using static Starling.Mqtt.Tests.TestHelpers;

namespace Starling.Mqtt.Tests;

public class AllocationTests
{
    private static MqttPublishView ReadView(ReadOnlySequence<byte> buffer, MqttProtocolVersion version)
    {
        MqttPacketReader.TryReadFixedHeader(buffer, uint.MaxValue, out MqttFixedHeader header);
        return MqttPacketReader.ReadPublish(header, buffer.Slice(header.HeaderLength, header.RemainingLength), version);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311, false)]
    [InlineData(MqttProtocolVersion.V500, false)]
    [InlineData(MqttProtocolVersion.V500, true)]
    public void ReadPublish_AllocatesNothing(MqttProtocolVersion version, bool segmented)
    {
        var packet = new PublishPacket
        {
            Topic = "sensors/é/température",
            Payload = new byte[100],
            QoS = MqttQualityOfService.AtLeastOnce,
            PacketId = 7,
            Properties = version == MqttProtocolVersion.V500 ? new MqttProperties { TopicAlias = 1, ContentType = "x" } : null,
        };
        byte[] bytes = Encode(packet, version);
        ReadOnlySequence<byte> buffer = segmented ? Segmented(bytes) : new ReadOnlySequence<byte>(bytes);
        ReadView(buffer, version); // warm-up

        long before = GC.GetAllocatedBytesForCurrentThread();
        MqttPublishView view = ReadView(buffer, version);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(7, view.PacketId);
        Assert.Equal(100, view.Payload.Length);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public void WritePublish_AllocatesNothing(MqttProtocolVersion version)
    {
        var writer = new ArrayBufferWriter<byte>(4096);
        var payload = new ReadOnlySequence<byte>(new byte[200]);
        var packet = new PublishPacket { Topic = "a/b/c", Payload = new byte[200], QoS = MqttQualityOfService.ExactlyOnce, PacketId = 1 };
        MqttPacketWriter.WritePublish(writer, version, "a/b/c"u8, payload, MqttQualityOfService.AtLeastOnce, false, false, 1, null); // warm-up
        MqttPacketWriter.Write(packet, version, writer);
        writer.ResetWrittenCount();

        long before = GC.GetAllocatedBytesForCurrentThread();
        MqttPacketWriter.WritePublish(writer, version, "a/b/c"u8, payload, MqttQualityOfService.AtLeastOnce, false, false, 1, null);
        MqttPacketWriter.Write(packet, version, writer);
        int size = MqttPacketWriter.GetPublishSize(version, 5, 200, MqttQualityOfService.AtLeastOnce, null);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(size * 2, writer.WrittenCount);
    }
}

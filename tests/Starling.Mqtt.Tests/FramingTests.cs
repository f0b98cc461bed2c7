using System.Buffers;
using Starling.Mqtt.Packets;
using static Starling.Mqtt.Tests.TestHelpers;

namespace Starling.Mqtt.Tests;

public class FramingTests
{
    [Fact]
    public void IncompleteInput_ReturnsFalse_WithoutConsuming()
    {
        var packet = new PublishPacket { Topic = "a/b", Payload = new byte[300], QoS = MqttQualityOfService.AtLeastOnce, PacketId = 1 };
        byte[] bytes = Encode(packet, MqttProtocolVersion.V500);
        for (int length = 0; length < bytes.Length; length++)
        {
            foreach (ReadOnlySequence<byte> prefix in new[] { new ReadOnlySequence<byte>(bytes, 0, length), Segmented(bytes[..length]) })
            {
                ReadOnlySequence<byte> buffer = prefix;
                Assert.False(MqttPacketReader.TryRead(ref buffer, MqttProtocolVersion.V500, uint.MaxValue, out MqttPacket? result));
                Assert.Null(result);
                Assert.Equal(prefix.Length, buffer.Length);
                Assert.Equal(prefix.Start, buffer.Start);
            }
        }
    }

    [Fact]
    public void FixedHeader_Incomplete_ReturnsFalse()
    {
        Assert.False(MqttPacketReader.TryReadFixedHeader(ReadOnlySequence<byte>.Empty, uint.MaxValue, out _));
        Assert.False(MqttPacketReader.TryReadFixedHeader(new ReadOnlySequence<byte>(Hex("30")), uint.MaxValue, out _));
        Assert.False(MqttPacketReader.TryReadFixedHeader(new ReadOnlySequence<byte>(Hex("30 ff ff")), uint.MaxValue, out _));
        Assert.True(MqttPacketReader.TryReadFixedHeader(new ReadOnlySequence<byte>(Hex("30 ff ff ff 7f")), uint.MaxValue, out MqttFixedHeader header));
        Assert.Equal(268_435_455, header.RemainingLength);
        Assert.Equal(5, header.HeaderLength);
        Assert.Equal(MqttPacketType.Publish, header.Type);
    }

    [Fact]
    public void RemainingLength_Over4Bytes_IsMalformed()
    {
        var e = Assert.Throws<MqttProtocolException>(() => MqttPacketReader.TryReadFixedHeader(Segmented(Hex("30 ff ff ff ff 01")), uint.MaxValue, out _));
        Assert.Equal(MqttReasonCode.MalformedPacket, e.ReasonCode);
        Assert.Equal("MQTT-1.5.5-1", e.Rule);
    }

    [Theory]
    [InlineData("c0 80 00")] // PINGREQ, remaining length 0 in two bytes
    [InlineData("30 82 00 00 01")] // PUBLISH, remaining length 2 in two bytes
    [InlineData("30 81 80 00")] // PUBLISH, remaining length 1 in three bytes
    public void RemainingLength_NotInFewestBytes_IsMalformed_MQTT_1_5_5_1(string hex)
    {
        var e = Assert.Throws<MqttProtocolException>(() => MqttPacketReader.TryReadFixedHeader(Segmented(Hex(hex)), uint.MaxValue, out _));
        Assert.Equal(MqttReasonCode.MalformedPacket, e.ReasonCode);
        Assert.Equal("MQTT-1.5.5-1", e.Rule);
    }

    [Fact]
    public void RemainingLength_InFewestBytes_AtEachSizeBoundary_IsAccepted()
    {
        // 127 | 128 | 16 383 | 16 384: the largest one-byte value and the smallest two-byte value, and so on.
        foreach ((string hex, int value) in new[] { ("30 7f", 127), ("30 80 01", 128), ("30 ff 7f", 16_383), ("30 80 80 01", 16_384) })
        {
            Assert.True(MqttPacketReader.TryReadFixedHeader(Segmented(Hex(hex)), uint.MaxValue, out MqttFixedHeader header));
            Assert.Equal(value, header.RemainingLength);
        }
    }

    [Fact]
    public void MaximumPacketSize_IsEnforced_BeforeTheBodyArrives()
    {
        // Only the 5-byte header is present: the declared 268 MB body is refused without waiting for it.
        MqttProtocolException e = ReadThrows(Hex("30 ff ff ff 7f"), MqttProtocolVersion.V311, 1024);
        Assert.Equal(MqttReasonCode.PacketTooLarge, e.ReasonCode);
        Assert.Equal("maximum-packet-size", e.Rule);
    }

    [Fact]
    public void MaximumPacketSize_CountsTheWholePacket()
    {
        byte[] bytes = Encode(new PubAckPacket { PacketId = 1 }, MqttProtocolVersion.V311);
        var buffer = new ReadOnlySequence<byte>(bytes);
        Assert.True(MqttPacketReader.TryRead(ref buffer, MqttProtocolVersion.V311, 4, out _));
        Assert.Equal(MqttReasonCode.PacketTooLarge, ReadThrows(bytes, MqttProtocolVersion.V311, 3).ReasonCode);
    }

    [Fact]
    public void TryRead_InALoop_ReadsConsecutivePackets()
    {
        var writer = new ArrayBufferWriter<byte>();
        MqttPacketWriter.Write(new PublishPacket { Topic = "t", Payload = new byte[] { 1 } }, MqttProtocolVersion.V311, writer);
        MqttPacketWriter.Write(PingReqPacket.Instance, MqttProtocolVersion.V311, writer);
        MqttPacketWriter.Write(new SubscribePacket { PacketId = 2, Subscriptions = [new MqttSubscription { TopicFilter = "x" }] }, MqttProtocolVersion.V311, writer);
        ReadOnlySequence<byte> buffer = Segmented(writer.WrittenSpan.ToArray(), 3);
        var types = new List<MqttPacketType>();
        while (MqttPacketReader.TryRead(ref buffer, MqttProtocolVersion.V311, uint.MaxValue, out MqttPacket? packet))
        {
            types.Add(packet.Type);
        }

        Assert.Equal([MqttPacketType.Publish, MqttPacketType.PingReq, MqttPacketType.Subscribe], types);
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void ReadPublish_ReturnsSlices()
    {
        byte[] bytes = Encode(new PublishPacket { Topic = "a/b", Payload = "xyz"u8.ToArray(), QoS = MqttQualityOfService.ExactlyOnce, PacketId = 9, Retain = true, Properties = new MqttProperties { TopicAlias = 2 } }, MqttProtocolVersion.V500);
        ReadOnlySequence<byte> buffer = Segmented(bytes);
        Assert.True(MqttPacketReader.TryReadFixedHeader(buffer, uint.MaxValue, out MqttFixedHeader header));
        MqttPublishView view = MqttPacketReader.ReadPublish(header, buffer.Slice(header.HeaderLength, header.RemainingLength), MqttProtocolVersion.V500);
        Assert.Equal("a/b"u8.ToArray(), view.Topic.ToArray());
        Assert.Equal("xyz"u8.ToArray(), view.Payload.ToArray());
        Assert.Equal(MqttQualityOfService.ExactlyOnce, view.QoS);
        Assert.Equal(9, view.PacketId);
        Assert.True(view.Retain);
        Assert.Equal((ushort)2, MqttPacketReader.ReadProperties(view.Properties, MqttPacketType.Publish).TopicAlias);
    }

    [Fact]
    public void WritePublish_MatchesWrite_AndGetPublishSize()
    {
        var props = new MqttProperties { MessageExpiryInterval = 3, UserProperties = [new("k", "v")] };
        foreach (MqttProtocolVersion version in AllVersions)
        {
            var writer = new ArrayBufferWriter<byte>();
            ReadOnlySequence<byte> payload = Segmented("payload"u8.ToArray(), 2);
            MqttPacketWriter.WritePublish(writer, version, "t/1"u8, payload, MqttQualityOfService.AtLeastOnce, retain: false, dup: true, packetId: 5, props);
            Assert.Equal(MqttPacketWriter.GetPublishSize(version, 3, payload.Length, MqttQualityOfService.AtLeastOnce, props), writer.WrittenCount);
            var expected = new PublishPacket { Topic = "t/1", Payload = "payload"u8.ToArray(), QoS = MqttQualityOfService.AtLeastOnce, Dup = true, PacketId = 5, Properties = props };
            Assert.Equal(Encode(expected, version), writer.WrittenSpan.ToArray());
        }
    }
}

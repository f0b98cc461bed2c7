using System.Buffers;
using Starling.Mqtt.Packets;
using static Starling.Mqtt.Tests.TestHelpers;

namespace Starling.Mqtt.Tests;

/// <summary>
/// A forwarded PUBLISH written from shared properties plus per-delivery overrides: the overrides take the place of
/// Topic Alias, Subscription Identifiers and Message Expiry Interval, everything else is forwarded unaltered and in
/// order [MQTT-3.3.2-17] [MQTT-3.3.2-18], and the shared properties are left untouched.
/// </summary>
public class PublishOverridesTests
{
    private static MqttProperties Shared() => new()
    {
        PayloadFormatIndicator = 1,
        MessageExpiryInterval = 100,
        ContentType = "text/plain",
        ResponseTopic = "reply/here",
        CorrelationData = new byte[] { 1, 2, 3 },
        SubscriptionIdentifiers = [99],
        TopicAlias = 7,
        UserProperties = [new MqttUserProperty("b", "2"), new MqttUserProperty("a", "1"), new MqttUserProperty("b", "3")],
    };

    private static PublishPacket WriteAndRead(MqttProperties? shared, in MqttPublishOverrides overrides, byte[] payload, string topic = "t/x")
    {
        var writer = new ArrayBufferWriter<byte>();
        var topicUtf8 = System.Text.Encoding.UTF8.GetBytes(topic);
        MqttPacketWriter.WritePublishHeader(writer, MqttProtocolVersion.V500, topicUtf8, payload.Length, MqttQualityOfService.AtLeastOnce, false, false, 5, shared, overrides);
        writer.Write(payload);
        Assert.Equal(writer.WrittenCount, MqttPacketWriter.GetPublishSize(MqttProtocolVersion.V500, topicUtf8.Length, payload.Length, MqttQualityOfService.AtLeastOnce, shared, overrides));
        return (PublishPacket)Decode(writer.WrittenSpan.ToArray(), MqttProtocolVersion.V500);
    }

    [Fact]
    public void Overrides_ReplaceThePerDeliveryProperties_AndKeepTheRest_MQTT_3_3_2_17()
    {
        var shared = Shared();
        var read = WriteAndRead(shared, new MqttPublishOverrides { TopicAlias = 3, SubscriptionIdentifiers = new uint[] { 1, 268_435_455 }, MessageExpiryInterval = 40 }, [9, 8, 7]);

        Assert.Equal((ushort)3, read.Properties!.TopicAlias);
        Assert.Equal(new uint[] { 1, 268_435_455 }, read.Properties.SubscriptionIdentifiers);
        Assert.Equal(40u, read.Properties.MessageExpiryInterval);
        Assert.Equal((byte)1, read.Properties.PayloadFormatIndicator);
        Assert.Equal("text/plain", read.Properties.ContentType);
        Assert.Equal("reply/here", read.Properties.ResponseTopic);
        Assert.Equal(new byte[] { 1, 2, 3 }, read.Properties.CorrelationData!.Value.ToArray());
        Assert.Equal(["b=2", "a=1", "b=3"], read.Properties.UserProperties!.Select(u => $"{u.Name}={u.Value}"));
        Assert.Equal(new byte[] { 9, 8, 7 }, read.Payload.ToArray());

        // The shared properties serve the next subscriber as they were.
        AssertPropertiesEqual(Shared(), shared);
    }

    [Fact]
    public void NoOverrides_DropTheSharedAliasAndIds_ButKeepItsExpiry()
    {
        var read = WriteAndRead(Shared(), default, []);

        Assert.Null(read.Properties!.TopicAlias); // an alias belongs to one connection [MQTT-3.3.2-10]
        Assert.Null(read.Properties.SubscriptionIdentifiers);
        Assert.Equal(100u, read.Properties.MessageExpiryInterval);
    }

    [Fact]
    public void Overrides_WithoutSharedProperties_WriteOnlyTheOverrides()
    {
        var read = WriteAndRead(null, new MqttPublishOverrides { TopicAlias = 1, SubscriptionIdentifiers = new uint[] { 12 } }, new byte[2000]);

        Assert.Equal((ushort)1, read.Properties!.TopicAlias);
        Assert.Equal(new uint[] { 12 }, read.Properties.SubscriptionIdentifiers);
        Assert.Null(read.Properties.MessageExpiryInterval);
        Assert.Null(read.Properties.UserProperties);
        Assert.Equal(2000, read.Payload.Length);
    }

    [Fact]
    public void NoPropertiesAndNoOverrides_WriteAnEmptyPropertyLength()
    {
        var read = WriteAndRead(null, default, [1]);

        Assert.True(read.Properties is null || PropertiesAreEmpty(read.Properties));
    }

    [Fact]
    public void WritePublishHeader_WithOverrides_AllocatesNothing()
    {
        var writer = new ArrayBufferWriter<byte>(4096);
        var shared = Shared();
        var ids = new uint[] { 4, 5 };
        var overrides = new MqttPublishOverrides { TopicAlias = 2, SubscriptionIdentifiers = ids, MessageExpiryInterval = 30 };
        MqttPacketWriter.WritePublishHeader(writer, MqttProtocolVersion.V500, "a/b"u8, 10, MqttQualityOfService.AtLeastOnce, false, false, 1, shared, overrides); // warm-up
        writer.ResetWrittenCount();

        long before = GC.GetAllocatedBytesForCurrentThread();
        MqttPacketWriter.WritePublishHeader(writer, MqttProtocolVersion.V500, "a/b"u8, 10, MqttQualityOfService.AtLeastOnce, false, false, 1, shared, overrides);
        int size = MqttPacketWriter.GetPublishSize(MqttProtocolVersion.V500, 3, 10, MqttQualityOfService.AtLeastOnce, shared, overrides);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(size - 10, writer.WrittenCount);
    }

    private static bool PropertiesAreEmpty(MqttProperties p) =>
        p.TopicAlias is null && p.SubscriptionIdentifiers is null && p.MessageExpiryInterval is null && p.UserProperties is null && p.ContentType is null;
}

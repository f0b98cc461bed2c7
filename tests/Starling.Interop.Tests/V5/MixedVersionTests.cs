using Starling.Interop.Tests.Infrastructure;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Interop.Tests.V5;

/// <summary>
/// 3.1.1 and 5.0 clients on one broker: each receives packets of its own version. The raw clients decode with
/// their own version, so a 5.0 PUBLISH sent to a 3.1.1 client would show its property bytes inside the payload,
/// and a 3.1.1 PUBLISH sent to a 5.0 client would lose payload bytes to a property length.
/// </summary>
public sealed class MixedVersionTests : BrokerTestBase
{
    private static PublishPacket Publish(string topic, string payload, ushort packetId, MqttProperties? properties = null) => new()
    {
        Topic = topic,
        Payload = System.Text.Encoding.UTF8.GetBytes(payload),
        QoS = MqttQualityOfService.AtLeastOnce,
        PacketId = packetId,
        Properties = properties,
    };

    [Fact]
    public async Task V311Publisher_V5Subscriber_QoS1()
    {
        var (subscriber, _) = await V5Raw.ConnectAsync(Broker, Id("sub5"));
        await using var _s = subscriber;
        await V5Raw.SubscribeAsync(subscriber, "mix/to5", MqttQualityOfService.AtLeastOnce);
        var (publisher, _) = await RawClient.ConnectAsync(Broker.Port, new ConnectPacket { ClientId = Id("pub3"), KeepAlive = 60 });
        await using var _p = publisher;
        await publisher.SendAsync(Publish("mix/to5", "from 3.1.1", 10));
        Assert.Equal((ushort)10, (await V5Raw.ReceiveAsync<PubAckPacket>(publisher)).PacketId);

        var received = await V5Raw.ReceiveAsync<PublishPacket>(subscriber);
        Assert.Equal(("mix/to5", "from 3.1.1", MqttQualityOfService.AtLeastOnce), (received.Topic, V5Raw.Text(received.Payload), received.QoS));
        Assert.Null(received.Properties?.UserProperties);
        await subscriber.SendAsync(new PubAckPacket { PacketId = received.PacketId });
        await V5Raw.ExpectOnlyPingRespAsync(subscriber);
    }

    [Fact]
    public async Task V5Publisher_WithProperties_V311Subscriber_QoS1()
    {
        var (subscriber, _) = await RawClient.ConnectAsync(Broker.Port, new ConnectPacket { ClientId = Id("sub3"), KeepAlive = 60 });
        await using var _s = subscriber;
        await subscriber.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription { TopicFilter = "mix/to3", QoS = MqttQualityOfService.AtLeastOnce }] });
        Assert.Equal([MqttReasonCode.GrantedQoS1], (await V5Raw.ReceiveAsync<SubAckPacket>(subscriber)).ReasonCodes);

        var (publisher, _) = await V5Raw.ConnectAsync(Broker, Id("pub5"));
        await using var _p = publisher;
        var properties = new MqttProperties
        {
            UserProperties = [new MqttUserProperty("k", "v")],
            ContentType = "text/plain",
            MessageExpiryInterval = 60,
            ResponseTopic = "mix/reply",
        };
        await publisher.SendAsync(Publish("mix/to3", "from 5.0", 11, properties));
        Assert.Equal((ushort)11, (await V5Raw.ReceiveAsync<PubAckPacket>(publisher)).PacketId);

        var received = await V5Raw.ReceiveAsync<PublishPacket>(subscriber);
        Assert.Equal(("mix/to3", "from 5.0", MqttQualityOfService.AtLeastOnce), (received.Topic, V5Raw.Text(received.Payload), received.QoS));
        Assert.Null(received.Properties);
        await subscriber.SendAsync(new PubAckPacket { PacketId = received.PacketId });
        await subscriber.SendAsync(PingReqPacket.Instance);
        await V5Raw.ReceiveAsync<PingRespPacket>(subscriber);
    }

    [Fact]
    public async Task V5Publisher_V5Subscriber_PropertiesArrive()
    {
        var (subscriber, _) = await V5Raw.ConnectAsync(Broker, Id("sub5p"));
        await using var _s = subscriber;
        await V5Raw.SubscribeAsync(subscriber, "mix/props", MqttQualityOfService.AtLeastOnce);
        var (publisher, _) = await V5Raw.ConnectAsync(Broker, Id("pub5p"));
        await using var _p = publisher;
        var properties = new MqttProperties
        {
            UserProperties = [new MqttUserProperty("k", "v"), new MqttUserProperty("k", "w")],
            ContentType = "text/plain",
            ResponseTopic = "mix/reply",
            CorrelationData = new byte[] { 1, 2, 3 },
            PayloadFormatIndicator = 1,
        };
        await publisher.SendAsync(Publish("mix/props", "p", 12, properties));
        await V5Raw.ReceiveAsync<PubAckPacket>(publisher);

        var received = await V5Raw.ReceiveAsync<PublishPacket>(subscriber);
        var p = received.Properties;
        Assert.NotNull(p);
        Assert.Equal([new MqttUserProperty("k", "v"), new MqttUserProperty("k", "w")], p.UserProperties!); // order kept [MQTT-3.3.2-18]
        Assert.Equal("text/plain", p.ContentType);
        Assert.Equal("mix/reply", p.ResponseTopic);
        Assert.Equal(new byte[] { 1, 2, 3 }, p.CorrelationData!.Value.ToArray());
        Assert.Equal((byte)1, p.PayloadFormatIndicator);
    }
}

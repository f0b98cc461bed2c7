using MQTTnet;
using MQTTnet.Protocol;
using Starling.Interop.Tests.Infrastructure;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Interop.Tests;

/// <summary>SUBSCRIBE and UNSUBSCRIBE rules, wildcards and '$' topics.</summary>
public sealed class SubscribeTests : BrokerTestBase
{
    [Fact]
    public async Task InvalidFilter_Gets0x80_OthersGranted_MQTT_3_8_4_6()
    {
        var (raw, _) = await RawClient.ConnectAsync(Broker.Port, new ConnectPacket { ClientId = Id("filters"), KeepAlive = 60 });
        await using var _r = raw;
        await raw.SendAsync(new SubscribePacket
        {
            PacketId = 3,
            Subscriptions =
            [
                new MqttSubscription { TopicFilter = "good/+", QoS = MqttQualityOfService.AtLeastOnce },
                new MqttSubscription { TopicFilter = "a/#/b", QoS = MqttQualityOfService.AtLeastOnce },
                new MqttSubscription { TopicFilter = "a+/b", QoS = MqttQualityOfService.AtMostOnce },
                new MqttSubscription { TopicFilter = "fine/#", QoS = MqttQualityOfService.ExactlyOnce },
            ],
        });
        var suback = Assert.IsType<SubAckPacket>(await raw.ReceiveAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(3, suback.PacketId);
        Assert.Equal([MqttReasonCode.GrantedQoS1, MqttReasonCode.UnspecifiedError, MqttReasonCode.UnspecifiedError, MqttReasonCode.GrantedQoS2], suback.ReasonCodes);
    }

    [Fact]
    public async Task Wildcards_DoNotMatch_DollarTopics_MQTT_4_7_2_1()
    {
        await using var all = await MqttNet.ConnectAsync(Broker, Id("all"));
        await all.SubscribeAsync("#", MqttQualityOfServiceLevel.AtMostOnce);
        await using var plus = await MqttNet.ConnectAsync(Broker, Id("plus"));
        await plus.SubscribeAsync("+/info", MqttQualityOfServiceLevel.AtMostOnce);
        await using var sys = await MqttNet.ConnectAsync(Broker, Id("sys"));
        await sys.SubscribeAsync("$SYS/#", MqttQualityOfServiceLevel.AtMostOnce);

        var (exit, _, error) = await Mosquitto.RunAsync("mosquitto_pub", ["-h", Broker.Host, "-p", Broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-t", "$SYS/info", "-m", "hidden"], TimeSpan.FromSeconds(5));
        Assert.True(exit == 0, error);

        Assert.Equal("hidden", MqttNet.Text(sys.Next()));
        Assert.Null(all.Next(Short));
        Assert.Null(plus.Next(Short));
    }

    [Fact]
    public async Task OverlappingSubscriptions_DeliverOnce_AtHighestQoS()
    {
        await using var subscriber = await MqttNet.ConnectAsync(Broker, Id("overlap"));
        await subscriber.SubscribeAsync("ov/#", MqttQualityOfServiceLevel.AtMostOnce);
        await subscriber.SubscribeAsync("ov/+/c", MqttQualityOfServiceLevel.ExactlyOnce);
        await subscriber.SubscribeAsync("ov/b/c", MqttQualityOfServiceLevel.AtLeastOnce);
        await using var publisher = await MqttNet.ConnectAsync(Broker, Id("pub"));
        await publisher.PublishAsync("ov/b/c", "x", MqttQualityOfServiceLevel.ExactlyOnce);

        var message = subscriber.Next();
        Assert.Equal(MqttQualityOfServiceLevel.ExactlyOnce, message.QualityOfServiceLevel);
        Assert.Null(subscriber.Next(Short));
    }

    [Fact]
    public async Task Unsubscribe_StopsDelivery_AndUnknownFilterStillGetsUnsubAck_MQTT_3_10_4_4()
    {
        await using var subscriber = await MqttNet.ConnectAsync(Broker, Id("unsub"));
        await subscriber.SubscribeAsync("un/t", MqttQualityOfServiceLevel.AtLeastOnce);
        var result = await subscriber.Client.UnsubscribeAsync(new MqttClientUnsubscribeOptionsBuilder().WithTopicFilter("un/t").WithTopicFilter("never/subscribed").Build());
        Assert.Equal(2, result.Items.Count);
        await using var publisher = await MqttNet.ConnectAsync(Broker, Id("pub"));
        await publisher.PublishAsync("un/t", "x", MqttQualityOfServiceLevel.AtLeastOnce);
        Assert.Null(subscriber.Next(Short));
    }

    [Fact]
    public async Task SubscribeWithWrongFlags_ClosesConnection_MQTT_3_8_1_1()
    {
        var (raw, _) = await RawClient.ConnectAsync(Broker.Port, new ConnectPacket { ClientId = Id("flags"), KeepAlive = 60 });
        await using var _r = raw;
        await raw.SendRawAsync(new byte[] { 0x80, 0x06, 0x00, 0x01, 0x00, 0x01, (byte)'a', 0x00 });
        Assert.True(await raw.WaitForCloseAsync(TimeSpan.FromSeconds(3)));
    }

    [Fact]
    public async Task PublishWithWildcardTopic_ClosesConnection_MQTT_3_3_2_2()
    {
        var (raw, _) = await RawClient.ConnectAsync(Broker.Port, new ConnectPacket { ClientId = Id("wild"), KeepAlive = 60 });
        await using var _r = raw;
        await raw.SendRawAsync(new byte[] { 0x30, 0x05, 0x00, 0x03, (byte)'a', (byte)'/', (byte)'#' });
        Assert.True(await raw.WaitForCloseAsync(TimeSpan.FromSeconds(3)));
    }
}

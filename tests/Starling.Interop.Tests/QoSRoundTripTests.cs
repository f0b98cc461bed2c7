using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Starling.Interop.Tests.Infrastructure;

namespace Starling.Interop.Tests;

/// <summary>Each QoS end to end with the MQTTnet client, 3.1.1 and 5.0, and delivery at min(published, granted) [MQTT-3.8.4-8].</summary>
public sealed class QoSRoundTripTests : BrokerTestBase
{
    [Theory]
    [InlineData(MqttProtocolVersion.V311, MqttQualityOfServiceLevel.AtMostOnce)]
    [InlineData(MqttProtocolVersion.V311, MqttQualityOfServiceLevel.AtLeastOnce)]
    [InlineData(MqttProtocolVersion.V311, MqttQualityOfServiceLevel.ExactlyOnce)]
    [InlineData(MqttProtocolVersion.V500, MqttQualityOfServiceLevel.AtMostOnce)]
    [InlineData(MqttProtocolVersion.V500, MqttQualityOfServiceLevel.AtLeastOnce)]
    [InlineData(MqttProtocolVersion.V500, MqttQualityOfServiceLevel.ExactlyOnce)]
    public async Task Message_RoundTrips_AtEachQoS(MqttProtocolVersion version, MqttQualityOfServiceLevel qos)
    {
        await using var subscriber = await MqttNet.ConnectAsync(Broker, Id("sub"), version);
        await using var publisher = await MqttNet.ConnectAsync(Broker, Id("pub"), version);
        var granted = await subscriber.SubscribeAsync("qos/test", qos);
        Assert.Equal((int)qos, (int)granted.Items.Single().ResultCode);

        var result = await publisher.PublishAsync("qos/test", "payload-" + qos, qos);
        Assert.True(result.IsSuccess);

        var message = subscriber.Next();
        Assert.Equal("qos/test", message.Topic);
        Assert.Equal("payload-" + qos, MqttNet.Text(message));
        Assert.Equal(qos, message.QualityOfServiceLevel);
        Assert.False(message.Retain);
        Assert.Null(subscriber.Next(Short));
    }

    [Fact]
    public async Task DeliveryQoS_IsMinimumOfPublishedAndGranted_MQTT_3_8_4_8()
    {
        await using var subscriber = await MqttNet.ConnectAsync(Broker, Id("sub"));
        await using var publisher = await MqttNet.ConnectAsync(Broker, Id("pub"));
        await subscriber.SubscribeAsync("min/qos", MqttQualityOfServiceLevel.AtLeastOnce);

        await publisher.PublishAsync("min/qos", "two", MqttQualityOfServiceLevel.ExactlyOnce);
        Assert.Equal(MqttQualityOfServiceLevel.AtLeastOnce, subscriber.Next().QualityOfServiceLevel);

        await publisher.PublishAsync("min/qos", "zero", MqttQualityOfServiceLevel.AtMostOnce);
        Assert.Equal(MqttQualityOfServiceLevel.AtMostOnce, subscriber.Next().QualityOfServiceLevel);
    }

    [Fact]
    public async Task Order_IsKept_PerTopic_ForManyMessages()
    {
        await using var subscriber = await MqttNet.ConnectAsync(Broker, Id("sub"));
        await using var publisher = await MqttNet.ConnectAsync(Broker, Id("pub"));
        await subscriber.SubscribeAsync("order/t", MqttQualityOfServiceLevel.AtLeastOnce);
        for (int i = 0; i < 300; i++)
        {
            await publisher.PublishAsync("order/t", i.ToString(System.Globalization.CultureInfo.InvariantCulture), MqttQualityOfServiceLevel.AtLeastOnce);
        }

        for (int i = 0; i < 300; i++)
        {
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), MqttNet.Text(subscriber.Next()));
        }
    }
}

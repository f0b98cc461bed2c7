using MQTTnet.Protocol;
using Starling.Interop.Tests.Infrastructure;

namespace Starling.Interop.Tests;

/// <summary>Retained messages: set, replace, delete [MQTT-3.3.1-5, MQTT-3.3.1-10], RETAIN flags [MQTT-3.3.1-8, MQTT-3.3.1-9].</summary>
public sealed class RetainedTests : BrokerTestBase
{
    [Fact]
    public async Task Retained_IsSent_OnSubscribe_WithRetainSet_MQTT_3_3_1_8()
    {
        await using var publisher = await MqttNet.ConnectAsync(Broker, Id("pub"));
        await publisher.PublishAsync("ret/a", "first", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);

        await using var subscriber = await MqttNet.ConnectAsync(Broker, Id("sub"));
        await subscriber.SubscribeAsync("ret/+", MqttQualityOfServiceLevel.AtLeastOnce);
        var message = subscriber.Next();
        Assert.Equal("first", MqttNet.Text(message));
        Assert.True(message.Retain);
    }

    [Fact]
    public async Task Retained_IsReplaced_ThenDeleted_ByEmptyPayload_MQTT_3_3_1_10()
    {
        await using var publisher = await MqttNet.ConnectAsync(Broker, Id("pub"));
        await publisher.PublishAsync("ret/b", "old", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);
        await publisher.PublishAsync("ret/b", "new", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);

        await using (var first = await MqttNet.ConnectAsync(Broker, Id("s1")))
        {
            await first.SubscribeAsync("ret/b", MqttQualityOfServiceLevel.AtMostOnce);
            Assert.Equal("new", MqttNet.Text(first.Next()));
            Assert.Null(first.Next(Short));
        }

        await publisher.PublishAsync("ret/b", "", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);
        await using var second = await MqttNet.ConnectAsync(Broker, Id("s2"));
        await second.SubscribeAsync("ret/b", MqttQualityOfServiceLevel.AtMostOnce);
        Assert.Null(second.Next(Short));
        Assert.Equal(0, Broker.Broker.RetainedMessages.Count);
    }

    [Fact]
    public async Task Retained_ForwardedToExistingSubscriber_HasRetainClear_MQTT_3_3_1_9()
    {
        await using var subscriber = await MqttNet.ConnectAsync(Broker, Id("sub"));
        await subscriber.SubscribeAsync("ret/live", MqttQualityOfServiceLevel.AtLeastOnce);
        await using var publisher = await MqttNet.ConnectAsync(Broker, Id("pub"));
        await publisher.PublishAsync("ret/live", "x", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);
        Assert.False(subscriber.Next().Retain);
    }

    [Fact]
    public async Task Resubscribe_SendsRetainedAgain_MQTT_3_8_4_3()
    {
        await using var publisher = await MqttNet.ConnectAsync(Broker, Id("pub"));
        await publisher.PublishAsync("ret/again", "r", MqttQualityOfServiceLevel.AtMostOnce, retain: true);
        // QoS 0 has no acknowledgement: wait until the broker holds it, or the SUBSCRIBE can overtake it (a live copy, RETAIN 0).
        await Poll.UntilAsync(() =>
        {
            var held = new List<Starling.Broker.Routing.ApplicationMessage>();
            Broker.Broker.RetainedMessages.Match("ret/again", held);
            return held.Count > 0;
        });
        await using var subscriber = await MqttNet.ConnectAsync(Broker, Id("sub"));
        await subscriber.SubscribeAsync("ret/again", MqttQualityOfServiceLevel.AtMostOnce);
        Assert.True(subscriber.Next().Retain);
        await subscriber.SubscribeAsync("ret/again", MqttQualityOfServiceLevel.AtMostOnce);
        Assert.True(subscriber.Next().Retain);
    }
}

using Starling.Interop.Tests.Infrastructure;

namespace Starling.Interop.Tests;

/// <summary>Message expiry with MQTT.js [MQTT-3.3.2-5]: expired retained and queued messages are not delivered.</summary>
public sealed class MqttJsMessageExpiryTests : BrokerTestBase
{
    private const int V5 = 5;

    /// <summary>A retained message whose Message Expiry Interval has passed is not sent to a new subscriber [MQTT-3.3.2-5].</summary>
    [Fact]
    public async Task MqttJs_V5_ExpiredRetainedMessage_IsNotDelivered_MQTT_3_3_2_5()
    {
        await using var publisher = await MqttJs.ConnectAsync(Broker, V5, Id("js-pub"));
        await publisher.PublishAsync("exp/short", "short-lived", new { qos = 1, retain = true, properties = new { messageExpiryInterval = 1 } });
        await publisher.PublishAsync("exp/long", "long-lived", new { qos = 1, retain = true, properties = new { messageExpiryInterval = 100 } });
        await Task.Delay(TimeSpan.FromSeconds(2.2));

        await using var subscriber = await MqttJs.ConnectAsync(Broker, V5, Id("js-sub"));
        await subscriber.SubscribeAsync("exp/+", new { qos = 1 });
        Assert.Equal("long-lived", (await subscriber.NextMessageAsync()).Text);
        Assert.Null(await subscriber.NextMessageAsync(Short));
    }

    /// <summary>A message queued for a disconnected session is dropped once its Message Expiry Interval has passed [MQTT-3.3.2-5].</summary>
    [Fact]
    public async Task MqttJs_V5_ExpiredQueuedMessage_IsNotDeliveredOnReconnect_MQTT_3_3_2_5()
    {
        string clientId = Id("js-sub");
        var persistent = new { clean = false, properties = new { sessionExpiryInterval = 300 } };
        await using (var subscriber = await MqttJs.ConnectAsync(Broker, V5, clientId, persistent))
        {
            await subscriber.SubscribeAsync("exp/q", new { qos = 1 });
        }

        await using var publisher = await MqttJs.ConnectAsync(Broker, V5, Id("js-pub"));
        await publisher.PublishAsync("exp/q", "short-lived", new { qos = 1, properties = new { messageExpiryInterval = 1 } });
        await publisher.PublishAsync("exp/q", "long-lived", new { qos = 1, properties = new { messageExpiryInterval = 100 } });
        await Task.Delay(TimeSpan.FromSeconds(2.2));

        await using var again = await MqttJs.ConnectAsync(Broker, V5, clientId, persistent);
        Assert.True(again.Connack.GetProperty("sessionPresent").GetBoolean());
        Assert.Equal("long-lived", (await again.NextMessageAsync()).Text);
        Assert.Null(await again.NextMessageAsync(Short));
    }
}

using MQTTnet;
using MQTTnet.Protocol;
using Starling.Interop.Tests.Infrastructure;
using MqttProtocolVersion = MQTTnet.Formatter.MqttProtocolVersion;

namespace Starling.Interop.Tests.V5;

/// <summary>5.0 Message Expiry Interval: expired messages are not delivered, the rest carry the time that remains [MQTT-3.3.2-5, MQTT-3.3.2-6].</summary>
public sealed class MessageExpiryTests : BrokerTestBase
{
    private static MqttApplicationMessage Message(string topic, string payload, uint? expiry, bool retain = false)
    {
        var builder = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithRetainFlag(retain);
        if (expiry is { } seconds)
        {
            builder.WithMessageExpiryInterval(seconds);
        }

        return builder.Build();
    }

    private async Task<string> OfflineSubscriberAsync(string topic)
    {
        string id = Id("mx-sub");
        await using (var subscriber = await MqttNet.ConnectAsync(Broker, id, MqttProtocolVersion.V500, cleanSession: false, o => o.WithSessionExpiryInterval(60)))
        {
            await subscriber.SubscribeAsync(topic, MqttQualityOfServiceLevel.AtLeastOnce);
        }

        await WaitForOfflineAsync(Broker, id);
        return id;
    }

    private Task<MqttClientConnectResult> ResumeAsync(MqttNet client, string id) =>
        client.Client.ConnectAsync(MqttNet.Options(Broker, id, MqttProtocolVersion.V500).WithCleanStart(false).WithSessionExpiryInterval(60).Build());

    [Fact]
    public async Task Queued_Expired_IsNotDelivered_MQTT_3_3_2_5()
    {
        string id = await OfflineSubscriberAsync("mx/q");
        await using (var publisher = await MqttNet.ConnectAsync(Broker, Id("pub"), MqttProtocolVersion.V500))
        {
            await publisher.Client.PublishAsync(Message("mx/q", "short", 1));
            await publisher.Client.PublishAsync(Message("mx/q", "forever", null));
        }

        await Task.Delay(TimeSpan.FromSeconds(2));
        await using var again = MqttNet.Create();
        Assert.True((await ResumeAsync(again, id)).IsSessionPresent);
        Assert.Equal("forever", MqttNet.Text(again.Next()));
        Assert.Null(again.Next(Short));
    }

    [Fact]
    public async Task Queued_NotExpired_IsDelivered_WithRemainingInterval_MQTT_3_3_2_6()
    {
        string id = await OfflineSubscriberAsync("mx/r");
        await using (var publisher = await MqttNet.ConnectAsync(Broker, Id("pub"), MqttProtocolVersion.V500))
        {
            await publisher.Client.PublishAsync(Message("mx/r", "long", 60));
        }

        await Task.Delay(TimeSpan.FromSeconds(1.2));
        await using var again = MqttNet.Create();
        Assert.True((await ResumeAsync(again, id)).IsSessionPresent);
        var message = again.Next();
        Assert.Equal("long", MqttNet.Text(message));
        Assert.InRange(message.MessageExpiryInterval, 55u, 59u); // what remains after more than a second of waiting
    }

    [Fact]
    public async Task Retained_Expired_IsGone_MQTT_3_3_2_5()
    {
        await using (var publisher = await MqttNet.ConnectAsync(Broker, Id("pub"), MqttProtocolVersion.V500))
        {
            await publisher.Client.PublishAsync(Message("mx/ret", "brief", 1, retain: true));
        }

        await using (var early = await MqttNet.ConnectAsync(Broker, Id("early"), MqttProtocolVersion.V500))
        {
            await early.SubscribeAsync("mx/ret", MqttQualityOfServiceLevel.AtLeastOnce);
            var retained = early.Next();
            Assert.True(retained.Retain);
            Assert.Equal("brief", MqttNet.Text(retained));
        }

        await Task.Delay(TimeSpan.FromSeconds(2));
        await using var late = await MqttNet.ConnectAsync(Broker, Id("late"), MqttProtocolVersion.V500);
        await late.SubscribeAsync("mx/ret", MqttQualityOfServiceLevel.AtLeastOnce);
        Assert.Null(late.Next(Short));
    }
}

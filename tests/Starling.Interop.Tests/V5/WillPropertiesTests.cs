using System.Text;
using Starling.Interop.Tests.Infrastructure;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Interop.Tests.V5;

/// <summary>
/// A will goes out as a PUBLISH with exactly the will properties a PUBLISH may carry (Payload Format Indicator,
/// Message Expiry Interval, Content Type, Response Topic, Correlation Data, User Properties, in order), never its
/// Will Delay Interval (0x18), which a strict client refuses in a PUBLISH (table 2-4, [MQTT-3.1.3-10]).
/// </summary>
public sealed class WillPropertiesTests : BrokerTestBase
{
    private static MqttWill WillWithEveryProperty(string topic, uint delay = 0, bool retain = false) => new()
    {
        Topic = topic,
        Payload = "gone"u8.ToArray(),
        QoS = MqttQualityOfService.AtLeastOnce,
        Retain = retain,
        Properties = new MqttProperties
        {
            WillDelayInterval = delay,
            PayloadFormatIndicator = 1,
            MessageExpiryInterval = 60,
            ContentType = "text/plain",
            ResponseTopic = "will/reply",
            CorrelationData = "corr"u8.ToArray(),
            UserProperties = [new MqttUserProperty("first", "1"), new MqttUserProperty("second", "2"), new MqttUserProperty("first", "again")],
        },
    };

    [Fact]
    public async Task Will_CarriesThePublishProperties_InOrder_AndNoWillDelayInterval_MQTT_3_1_3_10()
    {
        var (watcher, _) = await V5Raw.ConnectAsync(Broker, Id("raw-watch"));
        await using var _w = watcher;
        await V5Raw.SubscribeAsync(watcher, "wp/raw", MqttQualityOfService.AtLeastOnce);

        var (dying, _) = await V5Raw.ConnectAsync(Broker, Id("raw-dying"), will: WillWithEveryProperty("wp/raw"));
        dying.Drop();

        // The codec refuses a PUBLISH carrying 0x18, as a strict client does: decoding it at all is half the check.
        var will = await V5Raw.ReceiveAsync<PublishPacket>(watcher);
        Assert.Equal("gone", Encoding.UTF8.GetString(will.Payload.Span));
        var properties = Assert.IsType<MqttProperties>(will.Properties);
        Assert.Null(properties.WillDelayInterval);
        Assert.Equal((byte)1, properties.PayloadFormatIndicator);
        Assert.InRange(properties.MessageExpiryInterval!.Value, 58u, 60u);
        Assert.Equal("text/plain", properties.ContentType);
        Assert.Equal("will/reply", properties.ResponseTopic);
        Assert.Equal("corr", Encoding.UTF8.GetString(properties.CorrelationData!.Value.Span));
        Assert.Equal(["first=1", "second=2", "first=again"], properties.UserProperties!.Select(p => $"{p.Name}={p.Value}"));
    }

    [Fact]
    public async Task Will_WithEveryWillProperty_ReachesAStrictClient_Paho()
    {
        await using var paho = await Paho.SubscribeAsync(Broker, "wp/paho", count: 1);
        var (dying, _) = await V5Raw.ConnectAsync(Broker, Id("paho-dying"), will: WillWithEveryProperty("wp/paho"));
        dying.Drop();

        var (exitCode, lines, stderr) = await paho.WaitAsync();
        Assert.True(exitCode == 0, $"paho exited {exitCode}: {string.Join('\n', lines)} {stderr}");
        var message = Assert.Single(lines);
        Assert.Equal("gone", message.GetProperty("payload").GetString());
        var properties = message.GetProperty("properties");
        Assert.Equal("text/plain", properties.GetProperty("ContentType").GetString());
        Assert.Equal("will/reply", properties.GetProperty("ResponseTopic").GetString());
        Assert.False(properties.TryGetProperty("WillDelayInterval", out _));
    }

    [Fact]
    public async Task RetainedWill_DeliveredLaterOnSubscribe_ReachesAStrictClient_Paho()
    {
        var (dying, _) = await V5Raw.ConnectAsync(Broker, Id("ret-dying"), will: WillWithEveryProperty("wp/retained", retain: true));
        dying.Drop();
        await Poll.UntilAsync(() => Broker.Broker.RetainedMessages.Count == 1, "the retained will");

        await using var paho = await Paho.SubscribeAsync(Broker, "wp/retained", count: 1);
        var (exitCode, lines, stderr) = await paho.WaitAsync();
        Assert.True(exitCode == 0, $"paho exited {exitCode}: {string.Join('\n', lines)} {stderr}");
        var message = Assert.Single(lines);
        Assert.True(message.GetProperty("retain").GetBoolean());
        Assert.False(message.GetProperty("properties").TryGetProperty("WillDelayInterval", out _));
    }

    [Fact]
    public async Task DelayedWill_MessageExpiryCountsFromPublication_NotFromTheClose()
    {
        var (watcher, _) = await V5Raw.ConnectAsync(Broker, Id("delay-watch"));
        await using var _w = watcher;
        await V5Raw.SubscribeAsync(watcher, "wp/delayed", MqttQualityOfService.AtLeastOnce);

        var (dying, _) = await V5Raw.ConnectAsync(Broker, Id("delay-dying"), new MqttProperties { SessionExpiryInterval = 30 }, cleanStart: false, will: WillWithEveryProperty("wp/delayed", delay: 2));
        dying.Drop();

        var packet = await watcher.ReceiveAsync(TimeSpan.FromSeconds(8));
        var will = Assert.IsType<PublishPacket>(packet);
        Assert.Null(will.Properties!.WillDelayInterval);

        // Published 2-3 s after the close: the 60 s lifetime starts then (5.0 section 3.1.3.2.4), so at most 1 s is gone.
        Assert.InRange(will.Properties.MessageExpiryInterval!.Value, 59u, 60u);
    }
}

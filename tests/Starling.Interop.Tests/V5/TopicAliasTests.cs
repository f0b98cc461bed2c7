using MQTTnet.Protocol;
using Starling.Interop.Tests.Infrastructure;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Interop.Tests.V5;

/// <summary>5.0 topic aliases, client to broker (the broker's Topic Alias Maximum is 5 here) and broker to client [MQTT-3.3.2-7..12].</summary>
public sealed class TopicAliasTests : BrokerTestBase
{
    protected override string[] Settings => ["--Starling:TopicAliasMaximum=5"];

    private static PublishPacket Publish(string topic, ushort? alias, ushort packetId, string payload = "x") => new()
    {
        Topic = topic,
        Payload = System.Text.Encoding.UTF8.GetBytes(payload),
        QoS = MqttQualityOfService.AtLeastOnce,
        PacketId = packetId,
        Properties = alias is { } a ? new MqttProperties { TopicAlias = a } : null,
    };

    [Fact]
    public async Task Inbound_AliasSetThenUsed_SubscriberGetsFullTopic_MQTT_3_3_2_12()
    {
        await using var subscriber = await MqttNet.ConnectAsync(Broker, Id("sub"));
        await subscriber.SubscribeAsync("ta/#", MqttQualityOfServiceLevel.AtLeastOnce);
        var (raw, connack) = await V5Raw.ConnectAsync(Broker, Id("aliaser"));
        await using var _ = raw;
        Assert.Equal((ushort)5, connack.Properties?.TopicAliasMaximum);

        await raw.SendAsync(Publish("ta/long/topic", 3, 1, "first"));
        Assert.Equal(MqttReasonCode.Success, (await V5Raw.ReceiveAsync<PubAckPacket>(raw)).ReasonCode);
        await raw.SendAsync(Publish("", 3, 2, "second"));
        Assert.Equal(MqttReasonCode.Success, (await V5Raw.ReceiveAsync<PubAckPacket>(raw)).ReasonCode);

        var first = subscriber.Next();
        var second = subscriber.Next();
        Assert.Equal(("ta/long/topic", "first"), (first.Topic, MqttNet.Text(first)));
        Assert.Equal(("ta/long/topic", "second"), (second.Topic, MqttNet.Text(second)));
    }

    [Theory]
    [InlineData((ushort)6)] // above the Topic Alias Maximum of 5 the broker announced
    [InlineData((ushort)0)] // 0 is never a valid alias
    public async Task Inbound_AliasOutOfRange_IsDisconnect0x94_MQTT_3_3_2_9(ushort alias)
    {
        var (raw, _) = await V5Raw.ConnectAsync(Broker, Id("badalias"));
        await using var _r = raw;
        await raw.SendAsync(Publish("ta/x", alias, 1));
        await V5Raw.ExpectDisconnectAsync(raw, MqttReasonCode.TopicAliasInvalid);
    }

    [Fact]
    public async Task Inbound_EmptyTopicWithUnknownAlias_IsDisconnect0x82()
    {
        var (raw, _) = await V5Raw.ConnectAsync(Broker, Id("unknown"));
        await using var _r = raw;
        await raw.SendAsync(Publish("", 2, 1));
        await V5Raw.ExpectDisconnectAsync(raw, MqttReasonCode.ProtocolError);
    }

    [Fact]
    public async Task Outbound_SecondPublishOnATopic_UsesTheAliasWithAnEmptyTopic_MQTT_3_3_2_12()
    {
        var (raw, _) = await V5Raw.ConnectAsync(Broker, Id("out"), new MqttProperties { TopicAliasMaximum = 10 });
        await using var _r = raw;
        await V5Raw.SubscribeAsync(raw, "tb/#", MqttQualityOfService.AtMostOnce);
        await using var publisher = await MqttNet.ConnectAsync(Broker, Id("pub"));
        await publisher.PublishAsync("tb/topic", "one", MqttQualityOfServiceLevel.AtLeastOnce);
        await publisher.PublishAsync("tb/topic", "two", MqttQualityOfServiceLevel.AtLeastOnce);

        var first = await V5Raw.ReceiveAsync<PublishPacket>(raw);
        var second = await V5Raw.ReceiveAsync<PublishPacket>(raw);
        Assert.Equal("tb/topic", first.Topic);
        var alias = first.Properties?.TopicAlias;
        Assert.NotNull(alias);
        Assert.InRange(alias.Value, (ushort)1, (ushort)10); // never above what the client allows [MQTT-3.3.2-8]
        Assert.Equal("", second.Topic);
        Assert.Equal(alias, second.Properties?.TopicAlias);
        Assert.Equal("two", V5Raw.Text(second.Payload));
    }

    [Fact]
    public async Task Outbound_ClientWithoutTopicAliasMaximum_NeverGetsAnAlias_MQTT_3_1_2_26()
    {
        var (raw, _) = await V5Raw.ConnectAsync(Broker, Id("noalias"));
        await using var _r = raw;
        await V5Raw.SubscribeAsync(raw, "tc/#", MqttQualityOfService.AtMostOnce);
        await using var publisher = await MqttNet.ConnectAsync(Broker, Id("pub"));
        for (int i = 0; i < 3; i++)
        {
            await publisher.PublishAsync("tc/topic", $"m{i}", MqttQualityOfServiceLevel.AtLeastOnce);
        }

        for (int i = 0; i < 3; i++)
        {
            var publish = await V5Raw.ReceiveAsync<PublishPacket>(raw);
            Assert.Equal("tc/topic", publish.Topic);
            Assert.Null(publish.Properties?.TopicAlias);
        }
    }

    [Fact]
    public async Task Outbound_AllAliasesTaken_LeastRecentlyUsedIsRebound_WithItsTopic()
    {
        await using var broker = await BrokerFixture.StartAsync(null, "--Starling:OutboundTopicAliasMaximum=2");
        var (raw, _) = await V5Raw.ConnectAsync(broker, Id("lru"), new MqttProperties { TopicAliasMaximum = 10 });
        await using var _r = raw;
        await V5Raw.SubscribeAsync(raw, "td/#", MqttQualityOfService.AtMostOnce);
        await using var publisher = await MqttNet.ConnectAsync(broker, Id("pub"));
        foreach (var topic in new[] { "td/a", "td/b", "td/a", "td/c", "td/b" })
        {
            await publisher.PublishAsync(topic, topic, MqttQualityOfServiceLevel.AtLeastOnce);
        }

        var received = new List<PublishPacket>();
        for (int i = 0; i < 5; i++)
        {
            received.Add(await V5Raw.ReceiveAsync<PublishPacket>(raw));
        }

        ushort a = received[0].Properties!.TopicAlias!.Value;
        ushort b = received[1].Properties!.TopicAlias!.Value;
        Assert.NotEqual(a, b);
        Assert.All(received, p => Assert.InRange(p.Properties!.TopicAlias!.Value, (ushort)1, (ushort)2));
        Assert.Equal(("td/a", "td/b"), (received[0].Topic, received[1].Topic));
        Assert.Equal(("", a), (received[2].Topic, received[2].Properties!.TopicAlias!.Value)); // a used again: b is now least recent

        // td/c takes b's alias, and carries its topic so the client rebinds it.
        Assert.Equal(("td/c", b), (received[3].Topic, received[3].Properties!.TopicAlias!.Value));

        // td/b lost its alias: it comes with its topic again, taking a's (now least recent) alias.
        Assert.Equal(("td/b", a), (received[4].Topic, received[4].Properties!.TopicAlias!.Value));
        Assert.Equal(["td/a", "td/b", "td/a", "td/c", "td/b"], received.Select(p => V5Raw.Text(p.Payload)));
    }
}

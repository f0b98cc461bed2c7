using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Starling.Interop.Tests.Infrastructure;
using Starling.Mqtt;
using Starling.Mqtt.Packets;
using MqttProtocolVersion = MQTTnet.Formatter.MqttProtocolVersion;

namespace Starling.Interop.Tests;

/// <summary>Persistent sessions, offline queueing, redelivery with DUP, clean session and Session Present [MQTT-3.1.2-4..6, MQTT-4.4.0-1].</summary>
public sealed class SessionTests : BrokerTestBase
{
    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task PersistentSession_ReceivesQoS1And2_PublishedWhileAway(MqttProtocolVersion version)
    {
        string id = Id("persist");
        await using (var first = await MqttNet.ConnectAsync(Broker, id, version, cleanSession: false))
        {
            await first.SubscribeAsync("away/#", MqttQualityOfServiceLevel.ExactlyOnce);
        }

        await WaitForOfflineAsync(Broker, id);

        await using (var publisher = await MqttNet.ConnectAsync(Broker, Id("pub")))
        {
            // QoS 0 first: the broker handles one connection's packets in order, so once the QoS 2 flow below is
            // complete the QoS 0 message has surely been routed, while the session was still offline. (Sent last,
            // nothing acknowledges it, and the broker may route it after the reconnection below: then it is
            // rightly delivered live.)
            await publisher.PublishAsync("away/0", "zero", MqttQualityOfServiceLevel.AtMostOnce);
            await publisher.PublishAsync("away/1", "one", MqttQualityOfServiceLevel.AtLeastOnce);
            await publisher.PublishAsync("away/2", "two", MqttQualityOfServiceLevel.ExactlyOnce);
        }

        var again = MqttNet.Create();
        await using var _ = again;
        var result = await again.Client.ConnectAsync(MqttNet.Options(Broker, id, version).WithCleanSession(false).WithSessionExpiryInterval(300).Build());
        Assert.True(result.IsSessionPresent); // [MQTT-3.2.2-2]
        var m1 = again.Next();
        var m2 = again.Next();
        Assert.Equal(("away/1", "one", MqttQualityOfServiceLevel.AtLeastOnce), (m1.Topic, MqttNet.Text(m1), m1.QualityOfServiceLevel));
        Assert.Equal(("away/2", "two", MqttQualityOfServiceLevel.ExactlyOnce), (m2.Topic, MqttNet.Text(m2), m2.QualityOfServiceLevel));
        Assert.Null(again.Next(Short)); // QoS 0 is not queued for an offline session
    }

    [Fact]
    public async Task CleanSession_DiscardsState_AndSessionPresentIsFalse_MQTT_3_1_2_6()
    {
        string id = Id("clean");
        await using (var first = await MqttNet.ConnectAsync(Broker, id, cleanSession: false))
        {
            await first.SubscribeAsync("clean/#", MqttQualityOfServiceLevel.AtLeastOnce);
        }

        var again = MqttNet.Create();
        await using var _ = again;
        var result = await again.Client.ConnectAsync(MqttNet.Options(Broker, id).WithCleanSession(true).Build());
        Assert.False(result.IsSessionPresent);
        await using var publisher = await MqttNet.ConnectAsync(Broker, Id("pub"));
        await publisher.PublishAsync("clean/x", "x", MqttQualityOfServiceLevel.AtLeastOnce);
        Assert.Null(again.Next(Short));
    }

    [Fact]
    public async Task Unacknowledged_QoS1_IsResent_WithDup_OnReconnect_MQTT_4_4_0_1()
    {
        string id = Id("nodup");
        var silent = await MqttNet.ConnectAsync(Broker, id, cleanSession: false);
        silent.AutoAcknowledge = false;
        await silent.SubscribeAsync("dup/t", MqttQualityOfServiceLevel.AtLeastOnce);
        await using (var publisher = await MqttNet.ConnectAsync(Broker, Id("pub")))
        {
            await publisher.PublishAsync("dup/t", "again", MqttQualityOfServiceLevel.AtLeastOnce);
        }

        var first = silent.Next();
        Assert.False(first.Dup);
        await silent.DisposeAsync();

        await using var resumed = await MqttNet.ConnectAsync(Broker, id, cleanSession: false);
        var second = resumed.Next();
        Assert.Equal("again", MqttNet.Text(second));
        Assert.True(second.Dup);
    }

    [Fact]
    public async Task Unacknowledged_QoS2_AfterPubRec_GetsPubRel_OnReconnect_MQTT_4_4_0_1()
    {
        string id = Id("rel");
        var connect = new ConnectPacket { ClientId = id, CleanSession = false, KeepAlive = 60 };
        var (raw, _) = await RawClient.ConnectAsync(Broker.Port, connect);
        await raw.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription { TopicFilter = "rel/t", QoS = MqttQualityOfService.ExactlyOnce }] });
        Assert.IsType<SubAckPacket>(await raw.ReceiveAsync(TimeSpan.FromSeconds(5)));
        await using (var publisher = await MqttNet.ConnectAsync(Broker, Id("pub")))
        {
            await publisher.PublishAsync("rel/t", "q2", MqttQualityOfServiceLevel.ExactlyOnce);
        }

        var publish = Assert.IsType<PublishPacket>(await raw.ReceiveAsync(TimeSpan.FromSeconds(5)));
        await raw.SendAsync(new PubRecPacket { PacketId = publish.PacketId });
        Assert.Equal(publish.PacketId, Assert.IsType<PubRelPacket>(await raw.ReceiveAsync(TimeSpan.FromSeconds(5))).PacketId);
        raw.Drop();

        var (again, connack) = await RawClient.ConnectAsync(Broker.Port, connect);
        await using var _ = again;
        Assert.True(connack.SessionPresent);
        var resent = Assert.IsType<PubRelPacket>(await again.ReceiveAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(publish.PacketId, resent.PacketId);
        await again.SendAsync(new PubCompPacket { PacketId = publish.PacketId });
        await again.SendAsync(PingReqPacket.Instance);
        Assert.IsType<PingRespPacket>(await again.ReceiveAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task QoS2_ResentBeforePubRel_IsDeliveredOnce_MQTT_4_3_3()
    {
        await using var subscriber = await MqttNet.ConnectAsync(Broker, Id("sub"));
        await subscriber.SubscribeAsync("once/t", MqttQualityOfServiceLevel.ExactlyOnce);
        var (raw, _) = await RawClient.ConnectAsync(Broker.Port, new ConnectPacket { ClientId = Id("pub2"), KeepAlive = 60 });
        await using var _r = raw;
        var publish = new PublishPacket { Topic = "once/t", Payload = "x"u8.ToArray(), QoS = MqttQualityOfService.ExactlyOnce, PacketId = 7 };
        await raw.SendAsync(publish);
        Assert.IsType<PubRecPacket>(await raw.ReceiveAsync(TimeSpan.FromSeconds(5)));
        publish.Dup = true;
        await raw.SendAsync(publish);
        Assert.IsType<PubRecPacket>(await raw.ReceiveAsync(TimeSpan.FromSeconds(5)));
        await raw.SendAsync(new PubRelPacket { PacketId = 7 });
        Assert.IsType<PubCompPacket>(await raw.ReceiveAsync(TimeSpan.FromSeconds(5)));

        Assert.NotNull(subscriber.Next());
        Assert.Null(subscriber.Next(Short));
    }

    [Fact]
    public async Task OfflineQueue_IsBounded_ByMaximumQueuedMessages()
    {
        await using var broker = await BrokerFixture.StartAsync(null, "--Starling:MaximumQueuedMessages=5");
        string id = Id("bounded");
        await using (var first = await MqttNet.ConnectAsync(broker, id, cleanSession: false))
        {
            await first.SubscribeAsync("bound/t", MqttQualityOfServiceLevel.AtLeastOnce);
        }

        await WaitForOfflineAsync(broker, id);

        await using (var publisher = await MqttNet.ConnectAsync(broker, Id("pub")))
        {
            for (int i = 0; i < 8; i++)
            {
                await publisher.PublishAsync("bound/t", $"m{i}", MqttQualityOfServiceLevel.AtLeastOnce);
            }
        }

        await using var again = await MqttNet.ConnectAsync(broker, id, cleanSession: false);
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal($"m{i}", MqttNet.Text(again.Next()));
        }

        Assert.Null(again.Next(Short));
        Assert.Equal(3, broker.Broker.Metrics.QueueFullDroppedTotal);
    }
}

using MQTTnet;
using MQTTnet.Protocol;
using Starling.Interop.Tests.Infrastructure;
using Starling.Mqtt;
using Starling.Mqtt.Packets;
using MqttProtocolVersion = MQTTnet.Formatter.MqttProtocolVersion;

namespace Starling.Interop.Tests.V5;

/// <summary>5.0 Subscription Identifiers and shared subscriptions (section 3.8.2.1.2, section 4.8.2).</summary>
public sealed class SubscriptionFeatureTests : BrokerTestBase
{
    private static MqttClientSubscribeOptions Subscribe(string filter, uint subscriptionId) =>
        new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter(f => f.WithTopic(filter).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce))
            .WithSubscriptionIdentifier(subscriptionId)
            .Build();

    [Fact]
    public async Task OverlappingSubscriptions_OneMessage_CarryingBothIdentifiers_MQTT_3_3_4_3_MQTT_3_3_4_4()
    {
        await using var subscriber = await MqttNet.ConnectAsync(Broker, Id("sid"), MqttProtocolVersion.V500);
        await subscriber.Client.SubscribeAsync(Subscribe("sid/+", 1));
        await subscriber.Client.SubscribeAsync(Subscribe("sid/#", 2));
        await using var publisher = await MqttNet.ConnectAsync(Broker, Id("pub"));
        await publisher.PublishAsync("sid/a", "both", MqttQualityOfServiceLevel.AtLeastOnce);

        var message = subscriber.Next();
        Assert.Equal("both", MqttNet.Text(message));
        Assert.Equal([1u, 2u], message.SubscriptionIdentifiers.Order());
        Assert.Null(subscriber.Next(Short)); // one copy, not one per subscription
    }

    [Fact]
    public async Task SingleSubscription_MessageCarriesItsIdentifier_MQTT_3_3_4_3()
    {
        await using var subscriber = await MqttNet.ConnectAsync(Broker, Id("sid1"), MqttProtocolVersion.V500);
        await subscriber.Client.SubscribeAsync(Subscribe("sid1/t", 268_435_455)); // the largest identifier
        await using var publisher = await MqttNet.ConnectAsync(Broker, Id("pub"));
        await publisher.PublishAsync("sid1/t", "one", MqttQualityOfServiceLevel.AtLeastOnce);
        Assert.Equal([268_435_455u], subscriber.Next().SubscriptionIdentifiers);
    }

    [Fact]
    public async Task SubscriptionIdentifierZero_IsDisconnect()
    {
        var (raw, _) = await V5Raw.ConnectAsync(Broker, Id("sid0"));
        await using var _r = raw;

        // SUBSCRIBE, id 1, properties: Subscription Identifier (0x0B) = 0, filter "a/b", options QoS 1. The codec refuses to write it.
        await raw.SendRawAsync(new byte[] { 0x82, 0x0B, 0x00, 0x01, 0x02, 0x0B, 0x00, 0x00, 0x03, (byte)'a', (byte)'/', (byte)'b', 0x01 });
        var disconnect = await V5Raw.ReceiveAsync<DisconnectPacket>(raw);
        Assert.Contains(disconnect.ReasonCode, new[] { MqttReasonCode.ProtocolError, MqttReasonCode.MalformedPacket });
        Assert.True(await raw.WaitForCloseAsync(V5Raw.Wait));
    }

    [Fact]
    public async Task Shared_ThreeMembers_ThirtyMessages_RoundRobin_NoDuplicates_MQTT_4_8_2_1()
    {
        var members = new List<MqttNet>();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                var member = await MqttNet.ConnectAsync(Broker, Id($"member{i}"), MqttProtocolVersion.V500);
                members.Add(member);
                await member.SubscribeAsync("$share/g/sh/t", MqttQualityOfServiceLevel.AtLeastOnce);
            }

            await using (var publisher = await MqttNet.ConnectAsync(Broker, Id("pub"), MqttProtocolVersion.V500))
            {
                for (int i = 0; i < 30; i++)
                {
                    await publisher.PublishAsync("sh/t", $"m{i}", MqttQualityOfServiceLevel.AtLeastOnce);
                }
            }

            var counts = new int[3];
            var payloads = new List<string>();
            for (int m = 0; m < 3; m++)
            {
                while (members[m].Next(Short) is { } message)
                {
                    Assert.Equal("sh/t", message.Topic);
                    payloads.Add(MqttNet.Text(message));
                    counts[m]++;
                }
            }

            Assert.Equal(30, payloads.Count);
            Assert.Equal(30, payloads.Distinct().Count());
            Assert.Equal([10, 10, 10], counts); // all online: strict rotation
        }
        finally
        {
            foreach (var member in members)
            {
                await member.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Shared_Subscribe_GetsNoRetainedMessage_MQTT_3_8_4_4()
    {
        await using (var publisher = await MqttNet.ConnectAsync(Broker, Id("pub"), MqttProtocolVersion.V500))
        {
            await publisher.PublishAsync("shr/t", "kept", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);
        }

        await using var shared = await MqttNet.ConnectAsync(Broker, Id("shared"), MqttProtocolVersion.V500);
        await shared.SubscribeAsync("$share/g/shr/t", MqttQualityOfServiceLevel.AtLeastOnce);
        Assert.Null(shared.Next(Short));

        await using var plain = await MqttNet.ConnectAsync(Broker, Id("plain"), MqttProtocolVersion.V500);
        await plain.SubscribeAsync("shr/t", MqttQualityOfServiceLevel.AtLeastOnce);
        Assert.Equal("kept", MqttNet.Text(plain.Next())); // the retained message is there
    }

    [Fact]
    public async Task SharedAndNonShared_OfOneClient_BothDeliver()
    {
        await using var client = await MqttNet.ConnectAsync(Broker, Id("both"), MqttProtocolVersion.V500);
        await client.SubscribeAsync("$share/g/shb/t", MqttQualityOfServiceLevel.AtLeastOnce);
        await client.SubscribeAsync("shb/t", MqttQualityOfServiceLevel.AtLeastOnce);
        await using var publisher = await MqttNet.ConnectAsync(Broker, Id("pub"), MqttProtocolVersion.V500);
        await publisher.PublishAsync("shb/t", "twice", MqttQualityOfServiceLevel.AtLeastOnce);

        Assert.Equal("twice", MqttNet.Text(client.Next()));
        Assert.Equal("twice", MqttNet.Text(client.Next()));
        Assert.Null(client.Next(Short));
    }
}

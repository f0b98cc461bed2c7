using MQTTnet.Protocol;
using Starling.Interop.Tests.Infrastructure;
using Starling.Mqtt;
using Starling.Mqtt.Packets;
using MqttProtocolVersion = MQTTnet.Formatter.MqttProtocolVersion;

namespace Starling.Interop.Tests.V5;

/// <summary>
/// A broker with every optional capability turned off or lowered: its CONNACK says so, and a client using a
/// capability it was told is unavailable gets the matching reason code (section 3.2.2.3, section 4.13).
/// </summary>
public sealed class RestrictedBrokerTests : BrokerTestBase
{
    protected override string[] Settings =>
    [
        "--Starling:ReceiveMaximum=7",
        "--Starling:MaximumPacketSize=2048",
        "--Starling:TopicAliasMaximum=9",
        "--Starling:MaximumQoS=1",
        "--Starling:MaximumKeepAliveSeconds=5",
        "--Starling:RetainAvailable=false",
        "--Starling:WildcardSubscriptionAvailable=false",
        "--Starling:SharedSubscriptionsAvailable=false",
        "--Starling:SubscriptionIdentifiersAvailable=false",
    ];

    [Fact]
    public async Task ConnAck_StatesEachRestriction_MQTT_3_2_2_9_MQTT_3_2_2_21()
    {
        var (raw, connack) = await V5Raw.ConnectAsync(Broker, Id("caps")); // asks for keep-alive 60
        await using var _ = raw;
        var p = connack.Properties;
        Assert.NotNull(p);
        Assert.Equal((ushort)7, p.ReceiveMaximum);
        Assert.Equal(2048u, p.MaximumPacketSize);
        Assert.Equal((ushort)9, p.TopicAliasMaximum);
        Assert.Equal((byte)1, p.MaximumQoS);
        Assert.Equal((ushort)5, p.ServerKeepAlive);
        Assert.Equal((byte)0, p.RetainAvailable);
        Assert.Equal((byte)0, p.WildcardSubscriptionAvailable);
        Assert.Equal((byte)0, p.SharedSubscriptionAvailable);
        Assert.Equal((byte)0, p.SubscriptionIdentifierAvailable);
    }

    [Fact]
    public async Task ConnAck_AsMqttNetSeesIt()
    {
        var client = MqttNet.Create();
        await using var _ = client;
        var result = await client.Client.ConnectAsync(MqttNet.Options(Broker, Id("caps-net"), MqttProtocolVersion.V500).WithKeepAlivePeriod(TimeSpan.FromSeconds(60)).Build());
        Assert.False(result.RetainAvailable);
        Assert.Equal(MqttQualityOfServiceLevel.AtLeastOnce, result.MaximumQoS);
        Assert.Equal(5, result.ServerKeepAlive);
        Assert.False(result.WildcardSubscriptionAvailable);
        Assert.False(result.SharedSubscriptionAvailable);
        Assert.False(result.SubscriptionIdentifiersAvailable);
    }

    [Fact]
    public async Task ServerKeepAlive_IsEnforced_MQTT_3_1_2_24()
    {
        await using var broker = await BrokerFixture.StartAsync(null, "--Starling:MaximumKeepAliveSeconds=1");
        var (raw, connack) = await V5Raw.ConnectAsync(broker, Id("ka")); // asks for 60 s
        await using var _ = raw;
        Assert.Equal((ushort)1, connack.Properties?.ServerKeepAlive);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var disconnect = Assert.IsType<DisconnectPacket>(await raw.ReceiveAsync(V5Raw.Wait));
        Assert.Equal(MqttReasonCode.KeepAliveTimeout, disconnect.ReasonCode);
        Assert.InRange(clock.Elapsed.TotalSeconds, 1.3, 3.5); // 1.5 x the Server Keep Alive, checked once a second
    }

    [Fact]
    public async Task QoS2Publish_AboveMaximumQoS_IsDisconnect0x9B_MQTT_3_2_2_11()
    {
        var (raw, _) = await V5Raw.ConnectAsync(Broker, Id("q2"));
        await using var _r = raw;
        await raw.SendAsync(new PublishPacket { Topic = "rb/q2", Payload = "x"u8.ToArray(), QoS = MqttQualityOfService.ExactlyOnce, PacketId = 1 });
        await V5Raw.ExpectDisconnectAsync(raw, MqttReasonCode.QoSNotSupported);
    }

    [Fact]
    public async Task QoS2Subscription_IsGrantedQoS1_MQTT_3_8_4_5()
    {
        var (raw, _) = await V5Raw.ConnectAsync(Broker, Id("sub-q2"));
        await using var _r = raw;
        var suback = await V5Raw.SubscribeAsync(raw, "rb/sq", MqttQualityOfService.ExactlyOnce);
        Assert.Equal([MqttReasonCode.GrantedQoS1], suback.ReasonCodes);
    }

    [Fact]
    public async Task WildcardSubscribe_WhenUnavailable_IsSubAck0xA2()
    {
        var (raw, _) = await V5Raw.ConnectAsync(Broker, Id("wild"));
        await using var _r = raw;
        var suback = await V5Raw.SubscribeAsync(raw, "rb/+", MqttQualityOfService.AtLeastOnce);
        Assert.Equal([MqttReasonCode.WildcardSubscriptionsNotSupported], suback.ReasonCodes);
        var plain = await V5Raw.SubscribeAsync(raw, "rb/plain", MqttQualityOfService.AtLeastOnce, packetId: 2);
        Assert.Equal([MqttReasonCode.GrantedQoS1], plain.ReasonCodes);
    }

    [Fact]
    public async Task SharedSubscribe_WhenUnavailable_IsSubAck0x9E()
    {
        var (raw, _) = await V5Raw.ConnectAsync(Broker, Id("shared"));
        await using var _r = raw;
        var suback = await V5Raw.SubscribeAsync(raw, "$share/g/rb/t", MqttQualityOfService.AtLeastOnce);
        Assert.Equal([MqttReasonCode.SharedSubscriptionsNotSupported], suback.ReasonCodes);
    }

    [Fact]
    public async Task SubscriptionIdentifier_WhenUnavailable_IsDisconnect0xA1()
    {
        var (raw, _) = await V5Raw.ConnectAsync(Broker, Id("subid"));
        await using var _r = raw;
        await raw.SendAsync(new SubscribePacket
        {
            PacketId = 1,
            Subscriptions = [new MqttSubscription { TopicFilter = "rb/id", QoS = MqttQualityOfService.AtLeastOnce }],
            Properties = new MqttProperties { SubscriptionIdentifiers = [5] },
        });
        await V5Raw.ExpectDisconnectAsync(raw, MqttReasonCode.SubscriptionIdentifiersNotSupported);
    }

    [Fact]
    public async Task RetainedPublish_WhenRetainUnavailable_IsNotStored()
    {
        var (raw, _) = await V5Raw.ConnectAsync(Broker, Id("ret"));
        await using (raw)
        {
            await raw.SendAsync(new PublishPacket { Topic = "rb/ret", Payload = "x"u8.ToArray(), QoS = MqttQualityOfService.AtLeastOnce, PacketId = 1, Retain = true });
            await raw.ReceiveAsync(V5Raw.Wait); // whatever the answer, the message must not be kept
        }

        var (late, _) = await V5Raw.ConnectAsync(Broker, Id("late"));
        await using var _l = late;
        await V5Raw.SubscribeAsync(late, "rb/ret", MqttQualityOfService.AtLeastOnce);
        await V5Raw.ExpectOnlyPingRespAsync(late);
    }
}

using MQTTnet.Protocol;
using Starling.Interop.Tests.Infrastructure;
using Starling.Mqtt;
using Starling.Mqtt.Packets;
using MqttProtocolVersion = MQTTnet.Formatter.MqttProtocolVersion;

namespace Starling.Interop.Tests.V5;

/// <summary>A default broker's 5.0 CONNACK states every capability truthfully (section 3.2.2.3).</summary>
public sealed class ConnAckTests : BrokerTestBase
{
    [Fact]
    public async Task DefaultBroker_ConnAckProperties_MQTT_3_2_2_9()
    {
        var (raw, connack) = await V5Raw.ConnectAsync(Broker, Id("caps"));
        await using var _ = raw;
        var p = connack.Properties;
        Assert.NotNull(p);
        Assert.Equal((ushort)1024, p.ReceiveMaximum);
        Assert.Equal(16u * 1024 * 1024, p.MaximumPacketSize);
        Assert.Equal((ushort)64, p.TopicAliasMaximum);
        Assert.Equal((byte)1, p.RetainAvailable);
        Assert.Null(p.MaximumQoS); // absent means QoS 2 is supported [MQTT-3.2.2-9]
        Assert.Equal((byte)1, p.WildcardSubscriptionAvailable);
        Assert.Equal((byte)1, p.SubscriptionIdentifierAvailable);
        Assert.Equal((byte)1, p.SharedSubscriptionAvailable);
        Assert.Null(p.ServerKeepAlive); // the client's 60 s is accepted
        Assert.Null(p.AssignedClientIdentifier);
        Assert.Null(p.SessionExpiryInterval);
        Assert.Null(p.ResponseInformation);
    }

    [Fact]
    public async Task DefaultBroker_AsMqttNetSeesIt()
    {
        var client = MqttNet.Create();
        await using var _ = client;
        var result = await client.Client.ConnectAsync(MqttNet.Options(Broker, Id("caps-net"), MqttProtocolVersion.V500).Build());
        Assert.True(result.RetainAvailable);
        Assert.Equal(MqttQualityOfServiceLevel.ExactlyOnce, result.MaximumQoS);
        Assert.True(result.WildcardSubscriptionAvailable);
        Assert.True(result.SubscriptionIdentifiersAvailable);
        Assert.True(result.SharedSubscriptionAvailable);
        Assert.Equal((ushort)64, result.TopicAliasMaximum);
    }

    [Fact]
    public async Task SessionExpiryAboveBrokersMaximum_GrantedValueIsReturned()
    {
        await using var broker = await BrokerFixture.StartAsync(null, "--Starling:MaximumSessionExpirySeconds=30");
        var (raw, connack) = await V5Raw.ConnectAsync(broker, Id("sx-cap"), new MqttProperties { SessionExpiryInterval = 3600 });
        await using var _ = raw;
        Assert.Equal(30u, connack.Properties?.SessionExpiryInterval);
    }
}

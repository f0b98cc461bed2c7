using Starling.Mqtt;
using Starling.Mqtt.Client;

namespace Starling.Interop.Tests;

/// <summary>Our own client library against our broker, 3.1.1 and 5.0, at every QoS, with a will on takeover.</summary>
public sealed class StarlingClientTests : BrokerTestBase
{
    [Theory]
    [InlineData(MqttProtocolVersion.V311, MqttQualityOfService.AtMostOnce)]
    [InlineData(MqttProtocolVersion.V311, MqttQualityOfService.AtLeastOnce)]
    [InlineData(MqttProtocolVersion.V311, MqttQualityOfService.ExactlyOnce)]
    [InlineData(MqttProtocolVersion.V500, MqttQualityOfService.AtLeastOnce)]
    [InlineData(MqttProtocolVersion.V500, MqttQualityOfService.ExactlyOnce)]
    public async Task StarlingClient_RoundTrips(MqttProtocolVersion version, MqttQualityOfService qos)
    {
        await using var subscriber = new MqttClient();
        await subscriber.ConnectAsync(Options(Id("sub"), version));
        var suback = await subscriber.SubscribeAsync("own/+", qos);
        Assert.Equal((MqttReasonCode)qos, suback.ReasonCodes.Single());

        await using var publisher = new MqttClient();
        await publisher.ConnectAsync(Options(Id("pub"), version));
        Assert.Equal(MqttReasonCode.Success, await publisher.PublishAsync("own/a", "hi", qos));

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var message = await subscriber.ReadAsync(cts.Token);
        Assert.Equal(("own/a", qos), (message.Topic, message.QoS));
        Assert.Equal("hi"u8.ToArray(), message.Payload.ToArray());
    }

    [Fact]
    public async Task Takeover_PublishesTheOldConnectionsWill()
    {
        await using var watcher = new MqttClient();
        await watcher.ConnectAsync(Options(Id("watch"), MqttProtocolVersion.V311));
        await watcher.SubscribeAsync("takeover/will", MqttQualityOfService.AtLeastOnce);

        string id = Id("twin");
        var withWill = Options(id, MqttProtocolVersion.V311);
        withWill.Will = new Starling.Mqtt.Packets.MqttWill { Topic = "takeover/will", Payload = "replaced"u8.ToArray(), QoS = MqttQualityOfService.AtLeastOnce };
        await using var first = new MqttClient();
        await first.ConnectAsync(withWill);
        await using var second = new MqttClient();
        await second.ConnectAsync(Options(id, MqttProtocolVersion.V311));

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var will = await watcher.ReadAsync(cts.Token);
        Assert.Equal("replaced"u8.ToArray(), will.Payload.ToArray());
        await first.Completion.WaitAsync(TimeSpan.FromSeconds(5));
    }

    private MqttClientOptions Options(string clientId, MqttProtocolVersion version) => new()
    {
        Host = Broker.Host,
        Port = Broker.Port,
        ClientId = clientId,
        ProtocolVersion = version,
    };
}

using MQTTnet.Protocol;
using Starling.Interop.Tests.Infrastructure;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Interop.Tests;

/// <summary>The will goes out on any close but a normal DISCONNECT [MQTT-3.1.2-8, MQTT-3.14.4-3].</summary>
public sealed class WillTests : BrokerTestBase
{
    private static ConnectPacket ConnectWithWill(string clientId) => new()
    {
        ClientId = clientId,
        KeepAlive = 60,
        Will = new MqttWill { Topic = "will/topic", Payload = "gone"u8.ToArray(), QoS = MqttQualityOfService.AtLeastOnce },
    };

    [Fact]
    public async Task Will_IsPublished_OnAbnormalClose_MQTT_3_1_2_8()
    {
        await using var watcher = await MqttNet.ConnectAsync(Broker, Id("watch"));
        await watcher.SubscribeAsync("will/#", MqttQualityOfServiceLevel.AtLeastOnce);

        var (client, connack) = await RawClient.ConnectAsync(Broker.Port, ConnectWithWill(Id("dying")));
        Assert.Equal(MqttReasonCode.Success, connack.ReasonCode);
        client.Drop();

        var will = watcher.Next();
        Assert.Equal("will/topic", will.Topic);
        Assert.Equal("gone", MqttNet.Text(will));
    }

    [Fact]
    public async Task Will_IsNotPublished_AfterDisconnect_MQTT_3_14_4_3()
    {
        await using var watcher = await MqttNet.ConnectAsync(Broker, Id("watch"));
        await watcher.SubscribeAsync("will/#", MqttQualityOfServiceLevel.AtLeastOnce);

        var (client, _) = await RawClient.ConnectAsync(Broker.Port, ConnectWithWill(Id("polite")));
        await client.SendAsync(new DisconnectPacket());
        Assert.True(await client.WaitForCloseAsync(TimeSpan.FromSeconds(5)));
        Assert.Null(watcher.Next(TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task Will_FromMosquittoSub_IsPublished_WhenItIsKilled()
    {
        await using var watcher = await MqttNet.ConnectAsync(Broker, Id("watch"));
        await watcher.SubscribeAsync("will/mosq", MqttQualityOfServiceLevel.AtMostOnce);
        string id = Id("mosq");
        using var sub = Mosquitto.StartSub(["-h", Broker.Host, "-p", Broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-i", id, "-t", "nothing", "--will-topic", "will/mosq", "--will-payload", "killed"]);

        // Its session, not merely its socket: killed before its CONNECT was handled, it would have no will yet.
        await Poll.UntilAsync(() => Broker.Broker.Sessions.TryGet(id, out var session) && session.IsConnected, "mosquitto_sub to connect");
        sub.Kill();
        Assert.Equal("killed", MqttNet.Text(watcher.Next()));
    }

    [Fact]
    public async Task Will_IsRetained_WhenWillRetainIsSet()
    {
        var connect = ConnectWithWill(Id("ret-will"));
        connect.Will!.Retain = true;
        connect.Will.Topic = "will/retained";
        var (client, _) = await RawClient.ConnectAsync(Broker.Port, connect);
        client.Drop();
        await Poll.UntilAsync(() => Broker.Broker.RetainedMessages.Count == 1, "the retained will");

        await using var late = await MqttNet.ConnectAsync(Broker, Id("late"));
        await late.SubscribeAsync("will/retained", MqttQualityOfServiceLevel.AtLeastOnce);
        var message = late.Next();
        Assert.True(message.Retain);
        Assert.Equal("gone", MqttNet.Text(message));
    }
}

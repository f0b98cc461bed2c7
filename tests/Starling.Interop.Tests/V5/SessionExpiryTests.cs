using MQTTnet;
using MQTTnet.Protocol;
using Starling.Interop.Tests.Infrastructure;
using Starling.Mqtt;
using Starling.Mqtt.Packets;
using MqttProtocolVersion = MQTTnet.Formatter.MqttProtocolVersion;

namespace Starling.Interop.Tests.V5;

/// <summary>5.0 Session Expiry Interval at CONNECT, at DISCONNECT and across a takeover [MQTT-3.1.2-23, MQTT-3.14.2-2].</summary>
public sealed class SessionExpiryTests : BrokerTestBase
{
    private Task<MqttClientConnectResult> ReconnectAsync(MqttNet client, string id, uint expiry) =>
        client.Client.ConnectAsync(MqttNet.Options(Broker, id, MqttProtocolVersion.V500).WithCleanStart(false).WithSessionExpiryInterval(expiry).Build());

    private async Task PublishAsync(string topic, string payload)
    {
        await using var publisher = await MqttNet.ConnectAsync(Broker, Id("pub"), MqttProtocolVersion.V500);
        await publisher.PublishAsync(topic, payload, MqttQualityOfServiceLevel.AtLeastOnce);
    }

    [Fact]
    public async Task WithinInterval_SessionPresent_AndQueuedQoS1Delivered_MQTT_3_1_2_23()
    {
        string id = Id("exp-in");
        await using (var first = await MqttNet.ConnectAsync(Broker, id, MqttProtocolVersion.V500, cleanSession: false, o => o.WithSessionExpiryInterval(60)))
        {
            await first.SubscribeAsync("sx/in", MqttQualityOfServiceLevel.AtLeastOnce);
        }

        await WaitForOfflineAsync(Broker, id);
        await PublishAsync("sx/in", "kept");

        await using var again = MqttNet.Create();
        var result = await ReconnectAsync(again, id, 60);
        Assert.True(result.IsSessionPresent);
        Assert.Equal("kept", MqttNet.Text(again.Next()));
    }

    [Fact]
    public async Task AfterInterval_SessionGone_NothingDelivered_MQTT_3_1_2_23()
    {
        string id = Id("exp-out");
        await using (var first = await MqttNet.ConnectAsync(Broker, id, MqttProtocolVersion.V500, cleanSession: false, o => o.WithSessionExpiryInterval(1)))
        {
            await first.SubscribeAsync("sx/out", MqttQualityOfServiceLevel.AtLeastOnce);
        }

        await WaitForOfflineAsync(Broker, id);
        await PublishAsync("sx/out", "lost");
        await Task.Delay(TimeSpan.FromSeconds(2.5));

        await using var again = MqttNet.Create();
        var result = await ReconnectAsync(again, id, 60);
        Assert.False(result.IsSessionPresent);
        Assert.Null(again.Next(Short));
    }

    [Fact]
    public async Task ExpiryZero_SessionEndsAtDisconnect_MQTT_3_1_2_23()
    {
        string id = Id("exp-zero");
        await using (var first = await MqttNet.ConnectAsync(Broker, id, MqttProtocolVersion.V500, cleanSession: false, o => o.WithSessionExpiryInterval(0)))
        {
            await first.SubscribeAsync("sx/zero", MqttQualityOfServiceLevel.AtLeastOnce);
        }

        for (int i = 0; i < 100 && Broker.Broker.Sessions.TryGet(id, out _); i++)
        {
            await Task.Delay(20);
        }

        Assert.False(Broker.Broker.Sessions.TryGet(id, out _));
        await using var again = MqttNet.Create();
        var result = await ReconnectAsync(again, id, 60);
        Assert.False(result.IsSessionPresent);
    }

    [Fact]
    public async Task DisconnectWithExpiryZero_EndsSessionThatHad60_MQTT_3_14_2_2()
    {
        string id = Id("exp-dis0");
        var (raw, _) = await V5Raw.ConnectAsync(Broker, id, new MqttProperties { SessionExpiryInterval = 60 }, cleanStart: false);
        await using (raw)
        {
            await V5Raw.SubscribeAsync(raw, "sx/dis0", MqttQualityOfService.AtLeastOnce);
            await raw.SendAsync(new DisconnectPacket { ReasonCode = MqttReasonCode.NormalDisconnection, Properties = new MqttProperties { SessionExpiryInterval = 0 } });
            Assert.True(await raw.WaitForCloseAsync(V5Raw.Wait));
        }

        var (again, connack) = await V5Raw.ConnectAsync(Broker, id, new MqttProperties { SessionExpiryInterval = 60 }, cleanStart: false);
        await using var _ = again;
        Assert.False(connack.SessionPresent);
    }

    [Fact]
    public async Task DisconnectRaisingExpiryFromZero_IsProtocolError0x82_MQTT_3_14_2_2()
    {
        string id = Id("exp-raise");
        var (raw, _) = await V5Raw.ConnectAsync(Broker, id, properties: null, cleanStart: false);
        await using var _r = raw;
        await raw.SendAsync(new DisconnectPacket { Properties = new MqttProperties { SessionExpiryInterval = 60 } });
        await V5Raw.ExpectDisconnectAsync(raw, MqttReasonCode.ProtocolError);

        // The session (expiry 0) ended with the connection, raising did not keep it.
        var (again, connack) = await V5Raw.ConnectAsync(Broker, id, new MqttProperties { SessionExpiryInterval = 60 }, cleanStart: false);
        await using var _a = again;
        Assert.False(connack.SessionPresent);
    }

    [Fact]
    public async Task Takeover_NewConnectionsLongerInterval_Applies()
    {
        string id = Id("exp-tk1");
        var (first, _) = await V5Raw.ConnectAsync(Broker, id, new MqttProperties { SessionExpiryInterval = 1 }, cleanStart: false);
        await using var _f = first;
        await V5Raw.SubscribeAsync(first, "sx/tk1", MqttQualityOfService.AtLeastOnce);
        var (second, connack) = await V5Raw.ConnectAsync(Broker, id, new MqttProperties { SessionExpiryInterval = 60 }, cleanStart: false);
        Assert.True(connack.SessionPresent);
        await V5Raw.ExpectDisconnectAsync(first, MqttReasonCode.SessionTakenOver);
        second.Drop();
        await WaitForOfflineAsync(Broker, id);
        await Task.Delay(TimeSpan.FromSeconds(2.5)); // past the first connection's 1 s

        var (third, again) = await V5Raw.ConnectAsync(Broker, id, new MqttProperties { SessionExpiryInterval = 60 }, cleanStart: false);
        await using var _t = third;
        Assert.True(again.SessionPresent);
    }

    [Fact]
    public async Task Takeover_NewConnectionsShorterInterval_Applies()
    {
        string id = Id("exp-tk2");
        var (first, _) = await V5Raw.ConnectAsync(Broker, id, new MqttProperties { SessionExpiryInterval = 60 }, cleanStart: false);
        await using var _f = first;
        await V5Raw.SubscribeAsync(first, "sx/tk2", MqttQualityOfService.AtLeastOnce);
        var (second, connack) = await V5Raw.ConnectAsync(Broker, id, new MqttProperties { SessionExpiryInterval = 1 }, cleanStart: false);
        Assert.True(connack.SessionPresent);
        second.Drop();
        await WaitForOfflineAsync(Broker, id);
        await Task.Delay(TimeSpan.FromSeconds(2.5));

        var (third, again) = await V5Raw.ConnectAsync(Broker, id, new MqttProperties { SessionExpiryInterval = 60 }, cleanStart: false);
        await using var _t = third;
        Assert.False(again.SessionPresent);
    }

    [Fact]
    public async Task Takeover_WithCleanStart0_SessionPresent_AndFirstGetsDisconnect0x8E_MQTT_3_1_4_3()
    {
        string id = Id("tk-present");
        await using var first = await MqttNet.ConnectAsync(Broker, id, MqttProtocolVersion.V500, cleanSession: false, o => o.WithSessionExpiryInterval(60));
        await first.SubscribeAsync("sx/tk", MqttQualityOfServiceLevel.AtLeastOnce);
        await using var second = MqttNet.Create();
        var result = await ReconnectAsync(second, id, 60);
        Assert.True(result.IsSessionPresent);
        var disconnected = await first.Disconnected.Task.WaitAsync(V5Raw.Wait);
        Assert.Equal(MqttClientDisconnectReason.SessionTakenOver, disconnected.Reason);

        await PublishAsync("sx/tk", "to-second");
        Assert.Equal("to-second", MqttNet.Text(second.Next())); // the subscription came along with the session
    }
}

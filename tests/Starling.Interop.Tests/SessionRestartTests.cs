using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MQTTnet.Protocol;
using Starling.Broker.Storage;
using Starling.Interop.Tests.Infrastructure;
using Starling.Interop.Tests.V5;
using Starling.Mqtt;
using Starling.Mqtt.Packets;
using MqttProtocolVersion = MQTTnet.Formatter.MqttProtocolVersion;

namespace Starling.Interop.Tests;

/// <summary>
/// The store seam: a broker that stops saves its sessions' persistable state, and the next broker on the same stores
/// resumes them [MQTT-4.1.0-1]: Session Present 1 [MQTT-3.2.2-2], the queue, the in-flight messages again with DUP
/// [MQTT-4.4.0-1], the subscriptions, the retained messages. Real MQTTnet clients; stores handed from broker A to B.
/// </summary>
public sealed class SessionRestartTests
{
    private readonly InMemorySessionStateStore _state = new();
    private readonly InMemoryRetainedMessageStore _retained = new();

    private Task<BrokerFixture> StartAsync() => BrokerFixture.StartAsync(null, services =>
    {
        services.AddSingleton<ISessionStateStore>(_state);
        services.AddSingleton<IRetainedMessageStore>(_retained);
    });

    private static Task<MqttClientConnectResult> ResumeAsync(MqttNet client, BrokerFixture broker, string id, uint expiry = 3600) =>
        client.Client.ConnectAsync(MqttNet.Options(broker, id, MqttProtocolVersion.V500).WithCleanStart(false).WithSessionExpiryInterval(expiry).Build());

    private static async Task PublishAsync(BrokerFixture broker, string topic, string payload, MqttQualityOfServiceLevel qos, bool retain = false)
    {
        await using var publisher = await MqttNet.ConnectAsync(broker, $"pub-{Guid.NewGuid():N}", MqttProtocolVersion.V500);
        await publisher.PublishAsync(topic, payload, qos, retain);
    }

    [Fact]
    public async Task Restart_ResumesSession_WithSessionPresent_QueueSubscriptionsAndRetained_MQTT_4_1_0_1()
    {
        var a = await StartAsync();
        await using (var first = await MqttNet.ConnectAsync(a, "restart-q", MqttProtocolVersion.V500, cleanSession: false, o => o.WithSessionExpiryInterval(3600)))
        {
            await first.SubscribeAsync("rs/q/#", MqttQualityOfServiceLevel.ExactlyOnce);
        }

        await Poll.UntilAsync(() => a.Broker.Sessions.TryGet("restart-q", out var s) && !s.IsConnected);
        await PublishAsync(a, "rs/q/1", "one", MqttQualityOfServiceLevel.AtLeastOnce);
        await PublishAsync(a, "rs/q/2", "two", MqttQualityOfServiceLevel.ExactlyOnce);
        await PublishAsync(a, "rs/r", "kept", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);
        await a.DisposeAsync();

        var b = await StartAsync();
        try
        {
            await using var again = MqttNet.Create();
            var result = await ResumeAsync(again, b, "restart-q");
            Assert.True(result.IsSessionPresent); // [MQTT-3.2.2-2]
            var first = again.Next();
            var second = again.Next();
            Assert.Equal(("rs/q/1", "one", MqttQualityOfServiceLevel.AtLeastOnce), (first.Topic, MqttNet.Text(first), first.QualityOfServiceLevel));
            Assert.Equal(("rs/q/2", "two", MqttQualityOfServiceLevel.ExactlyOnce), (second.Topic, MqttNet.Text(second), second.QualityOfServiceLevel));

            // The subscription came back with the session: a message published on broker B reaches it.
            await PublishAsync(b, "rs/q/3", "three", MqttQualityOfServiceLevel.AtLeastOnce);
            Assert.Equal("three", MqttNet.Text(again.Next()));

            await using var late = await MqttNet.ConnectAsync(b, "restart-late", MqttProtocolVersion.V500);
            await late.SubscribeAsync("rs/r", MqttQualityOfServiceLevel.AtLeastOnce);
            var retained = late.Next();
            Assert.Equal("kept", MqttNet.Text(retained));
            Assert.True(retained.Retain); // [MQTT-3.3.1-8]
        }
        finally
        {
            await b.DisposeAsync();
        }
    }

    [Fact]
    public async Task Restart_ResendsUnacknowledgedQoS1_WithDup_MQTT_4_4_0_1()
    {
        var a = await StartAsync();
        await using (var subscriber = await MqttNet.ConnectAsync(a, "restart-inflight", MqttProtocolVersion.V500, cleanSession: false, o => o.WithSessionExpiryInterval(3600)))
        {
            await subscriber.SubscribeAsync("rs/inflight", MqttQualityOfServiceLevel.AtLeastOnce);
            subscriber.AutoAcknowledge = false; // received, never acknowledged: still in flight when the broker stops
            await PublishAsync(a, "rs/inflight", "unacked", MqttQualityOfServiceLevel.AtLeastOnce);
            Assert.False(subscriber.Next().Dup);
            await a.DisposeAsync();
        }

        var b = await StartAsync();
        try
        {
            await using var again = MqttNet.Create();
            Assert.True((await ResumeAsync(again, b, "restart-inflight")).IsSessionPresent);
            var resent = again.Next();
            Assert.Equal("unacked", MqttNet.Text(resent));
            Assert.True(resent.Dup);
        }
        finally
        {
            await b.DisposeAsync();
        }
    }

    [Fact]
    public async Task Restart_DropsSessionsThatExpiredWhileDown_AndKeepsNoCleanSession_MQTT_3_1_2_23()
    {
        var a = await StartAsync();
        await using (var brief = await MqttNet.ConnectAsync(a, "restart-brief", MqttProtocolVersion.V500, cleanSession: false, o => o.WithSessionExpiryInterval(1)))
        {
            await brief.SubscribeAsync("rs/brief", MqttQualityOfServiceLevel.AtLeastOnce);
        }

        await using (var clean = await MqttNet.ConnectAsync(a, "restart-clean", MqttProtocolVersion.V500))
        {
            await clean.SubscribeAsync("rs/clean", MqttQualityOfServiceLevel.AtLeastOnce);
        }

        await a.DisposeAsync();
        Assert.DoesNotContain(_state.Load(), s => s.ClientId == "restart-clean");
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        var b = await StartAsync();
        try
        {
            Assert.False(b.Broker.Sessions.TryGet("restart-brief", out _));
            Assert.Empty(_state.Load());
            await using var again = MqttNet.Create();
            Assert.False((await ResumeAsync(again, b, "restart-brief")).IsSessionPresent);
        }
        finally
        {
            await b.DisposeAsync();
        }
    }

    [Fact]
    public async Task Restart_ContinuesIncomingQoS2_AtPubRel_WithoutRoutingTheMessageAgain_MQTT_4_3_3_12()
    {
        var expiry = new MqttProperties { SessionExpiryInterval = 3600 };
        var a = await StartAsync();
        var (publisher, _) = await V5Raw.ConnectAsync(a, "restart-qos2", expiry, cleanStart: false);
        await publisher.SendAsync(new PublishPacket { Topic = "rs/qos2", QoS = MqttQualityOfService.ExactlyOnce, PacketId = 7, Payload = new byte[] { 1 } });
        Assert.Equal(MqttReasonCode.Success, (await publisher.ReceiveAsync<PubRecPacket>()).ReasonCode);
        await a.DisposeAsync();
        await publisher.DisposeAsync();

        var b = await StartAsync();
        try
        {
            await using var subscriber = await MqttNet.ConnectAsync(b, "restart-qos2-sub", MqttProtocolVersion.V500);
            await subscriber.SubscribeAsync("rs/qos2", MqttQualityOfServiceLevel.ExactlyOnce);
            var (again, connack) = await V5Raw.ConnectAsync(b, "restart-qos2", expiry, cleanStart: false);
            await using var _ = again;
            Assert.True(connack.SessionPresent);

            // The id is still held: a resent PUBLISH is acknowledged but not routed again, and PUBREL completes it.
            await again.SendAsync(new PublishPacket { Topic = "rs/qos2", QoS = MqttQualityOfService.ExactlyOnce, PacketId = 7, Dup = true, Payload = new byte[] { 1 } });
            Assert.Equal(MqttReasonCode.Success, (await again.ReceiveAsync<PubRecPacket>()).ReasonCode);
            await again.SendAsync(new PubRelPacket { PacketId = 7 });
            Assert.Equal(MqttReasonCode.Success, (await again.ReceiveAsync<PubCompPacket>()).ReasonCode); // not 0x92
            Assert.Null(subscriber.Next(TimeSpan.FromMilliseconds(500)));
        }
        finally
        {
            await b.DisposeAsync();
        }
    }
}

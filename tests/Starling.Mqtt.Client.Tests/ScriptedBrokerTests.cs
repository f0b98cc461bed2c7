using System.Text;
using Starling.Mqtt;
using Starling.Mqtt.Client;
using Starling.Mqtt.Packets;

namespace Starling.Mqtt.Client.Tests;

public class ScriptedBrokerTests
{
    private static PublishPacket Qos2(ushort id, bool dup = false) => new()
    {
        Topic = "t",
        Payload = "exactly once"u8.ToArray(),
        QoS = MqttQualityOfService.ExactlyOnce,
        PacketId = id,
        Dup = dup,
    };

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Qos2_resend_before_pubrel_is_delivered_once(MqttProtocolVersion version)
    {
        await using var broker = new ScriptedBroker(version);
        await using var client = new MqttClient();
        await broker.ConnectAsync(client);

        await broker.SendAsync(Qos2(7));
        Assert.Equal(7, Assert.IsType<PubRecPacket>(await broker.ReceiveAsync()).PacketId);
        await broker.SendAsync(Qos2(7, dup: true));
        Assert.Equal(7, Assert.IsType<PubRecPacket>(await broker.ReceiveAsync()).PacketId);
        await broker.SendAsync(new PubRelPacket { PacketId = 7 });
        Assert.Equal(7, Assert.IsType<PubCompPacket>(await broker.ReceiveAsync()).PacketId);

        Assert.Equal("exactly once", Encoding.UTF8.GetString((await client.ReadAsync(Timeout.Token)).Payload.Span));
        Assert.False(client.TryRead(out _));

        // After PUBREL the id is free: the same id is a new message.
        await broker.SendAsync(Qos2(7));
        Assert.IsType<PubRecPacket>(await broker.ReceiveAsync());
        Assert.NotNull(await client.ReadAsync(Timeout.Token));
    }

    [Fact]
    public async Task Manual_ack_sends_nothing_until_asked()
    {
        await using var broker = new ScriptedBroker(MqttProtocolVersion.V500);
        await using var client = new MqttClient();
        await broker.ConnectAsync(client, o => o.AutoAcknowledge = false);

        await broker.SendAsync(new PublishPacket { Topic = "q1", QoS = MqttQualityOfService.AtLeastOnce, PacketId = 3 });
        await broker.SendAsync(Qos2(4));
        var q1 = await client.ReadAsync(Timeout.Token);
        var q2 = await client.ReadAsync(Timeout.Token);
        await broker.AssertSilentAsync();

        await client.AckAsync(q1, cancellationToken: Timeout.Token);
        Assert.Equal(3, Assert.IsType<PubAckPacket>(await broker.ReceiveAsync()).PacketId);

        // Unacknowledged QoS 2 resent: not delivered again, and no PUBREC yet.
        await broker.SendAsync(Qos2(4, dup: true));
        await broker.AssertSilentAsync();
        Assert.False(client.TryRead(out _));

        await client.AckAsync(q2, MqttReasonCode.Success, Timeout.Token);
        Assert.Equal(4, Assert.IsType<PubRecPacket>(await broker.ReceiveAsync()).PacketId);
        await broker.SendAsync(new PubRelPacket { PacketId = 4 });
        Assert.IsType<PubCompPacket>(await broker.ReceiveAsync());
    }

    [Fact]
    public async Task Outgoing_qos2_runs_the_whole_handshake_and_returns_the_pubcomp_reason()
    {
        await using var broker = new ScriptedBroker(MqttProtocolVersion.V500);
        await using var client = new MqttClient();
        await broker.ConnectAsync(client);

        var publishing = client.PublishAsync("out", "x", MqttQualityOfService.ExactlyOnce, cancellationToken: Timeout.Token);
        var publish = Assert.IsType<PublishPacket>(await broker.ReceiveAsync());
        Assert.NotEqual(0, publish.PacketId);
        Assert.False(publishing.IsCompleted);
        await broker.SendAsync(new PubRecPacket { PacketId = publish.PacketId });
        Assert.Equal(publish.PacketId, Assert.IsType<PubRelPacket>(await broker.ReceiveAsync()).PacketId);
        Assert.False(publishing.IsCompleted);
        await broker.SendAsync(new PubCompPacket { PacketId = publish.PacketId, ReasonCode = MqttReasonCode.PacketIdentifierNotFound });

        Assert.Equal(MqttReasonCode.PacketIdentifierNotFound, await publishing);
    }

    [Fact]
    public async Task Refused_pubrec_ends_the_exchange()
    {
        await using var broker = new ScriptedBroker(MqttProtocolVersion.V500);
        await using var client = new MqttClient();
        await broker.ConnectAsync(client);

        var publishing = client.PublishAsync("out", "x", MqttQualityOfService.ExactlyOnce, cancellationToken: Timeout.Token);
        var publish = Assert.IsType<PublishPacket>(await broker.ReceiveAsync());
        await broker.SendAsync(new PubRecPacket { PacketId = publish.PacketId, ReasonCode = MqttReasonCode.QuotaExceeded });

        Assert.Equal(MqttReasonCode.QuotaExceeded, await publishing);
        await broker.AssertSilentAsync();
    }

    [Fact]
    public async Task Server_disconnect_is_reported_with_its_reason_and_fails_waiters()
    {
        await using var broker = new ScriptedBroker(MqttProtocolVersion.V500);
        await using var client = new MqttClient();
        await broker.ConnectAsync(client);
        var publishing = client.PublishAsync("out", "x", MqttQualityOfService.AtLeastOnce, cancellationToken: Timeout.Token);
        Assert.IsType<PublishPacket>(await broker.ReceiveAsync());

        await broker.SendAsync(new DisconnectPacket { ReasonCode = MqttReasonCode.ServerShuttingDown });

        var completion = await client.Completion.WaitAsync(Timeout.Token);
        Assert.Equal(MqttDisconnectSource.Server, completion.Source);
        Assert.Equal(MqttReasonCode.ServerShuttingDown, completion.ReasonCode);
        var ex = await Assert.ThrowsAsync<MqttClientException>(() => publishing);
        Assert.Equal(MqttReasonCode.ServerShuttingDown, ex.ReasonCode);
    }

    [Fact]
    public async Task Topic_alias_is_resolved()
    {
        await using var broker = new ScriptedBroker(MqttProtocolVersion.V500);
        await using var client = new MqttClient();
        await broker.ConnectAsync(client, o => o.ConnectProperties = new MqttProperties { TopicAliasMaximum = 5 });

        await broker.SendAsync(new PublishPacket { Topic = "long/topic/name", Properties = new MqttProperties { TopicAlias = 2 } });
        await broker.SendAsync(new PublishPacket { Topic = "", Payload = "second"u8.ToArray(), Properties = new MqttProperties { TopicAlias = 2 } });

        Assert.Equal("long/topic/name", (await client.ReadAsync(Timeout.Token)).Topic);
        var second = await client.ReadAsync(Timeout.Token);
        Assert.Equal("long/topic/name", second.Topic);
        Assert.Equal("second", Encoding.UTF8.GetString(second.Payload.Span));
    }

    [Fact]
    public async Task Subscribe_and_unsubscribe_wait_for_their_own_ack()
    {
        await using var broker = new ScriptedBroker(MqttProtocolVersion.V311);
        await using var client = new MqttClient();
        await broker.ConnectAsync(client);

        var subscribing = client.SubscribeAsync("a/#", MqttQualityOfService.AtLeastOnce, cancellationToken: Timeout.Token);
        var unsubscribing = client.UnsubscribeAsync("b", Timeout.Token);
        var first = await broker.ReceiveAsync();
        var second = await broker.ReceiveAsync();
        var subscribe = Assert.IsType<SubscribePacket>(first is SubscribePacket ? first : second);
        var unsubscribe = Assert.IsType<UnsubscribePacket>(first is UnsubscribePacket ? first : second);
        Assert.NotEqual(subscribe.PacketId, unsubscribe.PacketId);

        await broker.SendAsync(new UnsubAckPacket { PacketId = unsubscribe.PacketId });
        await broker.SendAsync(new SubAckPacket { PacketId = subscribe.PacketId, ReasonCodes = [MqttReasonCode.UnspecifiedError] });

        Assert.Equal(unsubscribe.PacketId, (await unsubscribing).PacketId);
        Assert.Equal(MqttReasonCode.UnspecifiedError, Assert.Single((await subscribing).ReasonCodes));
    }

    [Fact]
    public async Task Connect_times_out_without_connack()
    {
        await using var broker = new ScriptedBroker(MqttProtocolVersion.V311);
        await using var client = new MqttClient();
        var options = broker.Options;
        options.ConnectTimeout = TimeSpan.FromMilliseconds(300);

        await Assert.ThrowsAsync<TimeoutException>(() => client.ConnectAsync(options, Timeout.Token));
        Assert.Equal(MqttDisconnectSource.Aborted, (await client.Completion).Source);
    }
}

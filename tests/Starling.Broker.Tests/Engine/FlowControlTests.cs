using Starling.Broker;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Broker.Tests.Engine;

/// <summary>Flow-control windows, session expiry and shared-group hand-over, driven in memory.</summary>
public sealed class FlowControlTests : IAsyncLifetime
{
    private readonly MqttBroker _broker = new();

    public Task InitializeAsync()
    {
        _broker.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    [Fact]
    public async Task ClientReceiveMaximum_LimitsUnacknowledgedMessages_MQTT_3_3_4_7()
    {
        var subscriber = new InMemoryTransport(_broker, MqttProtocolVersion.V500);
        await subscriber.SendPacketAsync(new ConnectPacket { ProtocolVersion = MqttProtocolVersion.V500, ClientId = "window", KeepAlive = 60, Properties = new MqttProperties { ReceiveMaximum = 2 } });
        Assert.IsType<ConnAckPacket>(await subscriber.NextAsync());
        await subscriber.SendPacketAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription { TopicFilter = "w", QoS = MqttQualityOfService.AtLeastOnce }] });
        Assert.IsType<SubAckPacket>(await subscriber.NextAsync());

        for (int i = 0; i < 5; i++)
        {
            _broker.Publish("w", new[] { (byte)i }, MqttQualityOfService.AtLeastOnce);
        }

        var first = Assert.IsType<PublishPacket>(await subscriber.NextAsync());
        var second = Assert.IsType<PublishPacket>(await subscriber.NextAsync());
        await Assert.ThrowsAsync<TimeoutException>(() => subscriber.NextAsync(TimeSpan.FromMilliseconds(300)));

        await subscriber.SendPacketAsync(new PubAckPacket { PacketId = first.PacketId });
        var third = Assert.IsType<PublishPacket>(await subscriber.NextAsync());
        Assert.Equal([0, 1, 2], new[] { first.Payload.Span[0], second.Payload.Span[0], third.Payload.Span[0] });
    }

    [Fact]
    public async Task SessionExpiry_EndsTheSession_AfterTheInterval()
    {
        var client = new InMemoryTransport(_broker, MqttProtocolVersion.V500);
        await client.SendPacketAsync(new ConnectPacket { ProtocolVersion = MqttProtocolVersion.V500, ClientId = "expiring", CleanSession = false, KeepAlive = 60, Properties = new MqttProperties { SessionExpiryInterval = 1 } });
        Assert.IsType<ConnAckPacket>(await client.NextAsync());
        client.Close();

        for (int i = 0; i < 20 && _broker.Sessions.TryGet("expiring", out var session) && session.IsConnected; i++)
        {
            await Task.Delay(25);
        }

        Assert.True(_broker.Sessions.TryGet("expiring", out _)); // kept while the interval runs
        for (int i = 0; i < 60 && _broker.Sessions.TryGet("expiring", out _); i++)
        {
            await Task.Delay(50);
        }

        Assert.False(_broker.Sessions.TryGet("expiring", out _));
    }

    [Fact]
    public async Task SharedGroup_MemberLeaving_HandsItsUnacknowledgedMessagesToAnother()
    {
        var members = new List<InMemoryTransport>();
        foreach (var id in new[] { "m1", "m2" })
        {
            var member = new InMemoryTransport(_broker, MqttProtocolVersion.V500);
            await member.SendPacketAsync(new ConnectPacket { ProtocolVersion = MqttProtocolVersion.V500, ClientId = id, KeepAlive = 60 });
            Assert.IsType<ConnAckPacket>(await member.NextAsync());
            await member.SendPacketAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription { TopicFilter = "$share/g/jobs", QoS = MqttQualityOfService.AtLeastOnce }] });
            Assert.IsType<SubAckPacket>(await member.NextAsync());
            members.Add(member);
        }

        _broker.Publish("jobs", "job-1"u8.ToArray(), MqttQualityOfService.AtLeastOnce);
        InMemoryTransport? holder = null;
        foreach (var member in members)
        {
            try
            {
                Assert.IsType<PublishPacket>(await member.NextAsync(TimeSpan.FromMilliseconds(500)));
                holder = member;
                break;
            }
            catch (TimeoutException)
            {
                // not this member: one member of the group gets each message
            }
        }

        Assert.NotNull(holder);
        var other = members.Single(m => m != holder);

        holder.Close(); // leaves without acknowledging
        var handedOver = Assert.IsType<PublishPacket>(await other.NextAsync());
        Assert.Equal("job-1"u8.ToArray(), handedOver.Payload.ToArray());
    }
}

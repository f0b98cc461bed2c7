using Starling.Interop.Tests.Infrastructure;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Interop.Tests.Malformed;

/// <summary>
/// One broker shared by every malformed-input case of a class, with a small maximum packet size, and a
/// well-behaved subscriber connected throughout: after each bad client, a fresh publisher must still reach it.
/// </summary>
public sealed class MalformedBroker : IAsyncLifetime
{
    public const int MaximumPacketSize = 4096;

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private RawClient _subscriber = null!;

    public BrokerFixture Broker { get; private set; } = null!;

    public int Port => Broker.Port;

    public async Task InitializeAsync()
    {
        Broker = await BrokerFixture.StartAsync(null, $"--Starling:MaximumPacketSize={MaximumPacketSize}");
        var (subscriber, connack) = await RawClient.ConnectAsync(Port, new ConnectPacket { ClientId = "watcher", KeepAlive = 0 });
        Assert.Equal(MqttReasonCode.Success, connack.ReasonCode);
        _subscriber = subscriber;
        await _subscriber.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription { TopicFilter = "ok/#", QoS = MqttQualityOfService.AtLeastOnce }] });
        Assert.IsType<SubAckPacket>(await _subscriber.ReceiveAsync(Wait));
    }

    /// <summary>
    /// The broker still serves others: a new 3.1.1 client and a new 5.0 client each connect and publish at
    /// QoS 1, get their PUBACK, and the subscriber connected since the start receives both messages.
    /// </summary>
    public async Task AssertStillServesAsync()
    {
        foreach (var version in new[] { MqttProtocolVersion.V311, MqttProtocolVersion.V500 })
        {
            string topic = $"ok/{Guid.NewGuid():N}";
            var (publisher, connack) = await RawClient.ConnectAsync(Port, new ConnectPacket { ProtocolVersion = version, ClientId = $"good-{Guid.NewGuid():N}"[..20], KeepAlive = 60 });
            await using var _ = publisher;
            Assert.Equal(MqttReasonCode.Success, connack.ReasonCode);
            await publisher.SendAsync(new PublishPacket { Topic = topic, QoS = MqttQualityOfService.AtLeastOnce, PacketId = 7, Payload = new byte[] { 1, 2, 3 } });
            var puback = Assert.IsType<PubAckPacket>(await publisher.ReceiveAsync(Wait));
            Assert.Equal(7, puback.PacketId);

            while (true)
            {
                var received = Assert.IsType<PublishPacket>(await _subscriber.ReceiveAsync(Wait));
                await _subscriber.SendAsync(new PubAckPacket { PacketId = received.PacketId });
                if (received.Topic == topic)
                {
                    Assert.Equal(new byte[] { 1, 2, 3 }, received.Payload.ToArray());
                    break;
                }
            }
        }
    }

    public async Task DisposeAsync()
    {
        await _subscriber.DisposeAsync();
        await Broker.DisposeAsync();
    }
}

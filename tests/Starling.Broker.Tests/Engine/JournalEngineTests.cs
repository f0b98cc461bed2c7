using Starling.Broker.Storage;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Broker.Tests.Engine;

/// <summary>
/// The engine with a journal (the in-memory one, so each step is exact): an acknowledgement leaves only once what its
/// packet appended is committed, a failing store refuses instead [MQTT-4.3.2-2 and 5.0 0x97], and a broker started on
/// the stores of one that was never stopped (a crash) holds everything that was acknowledged [MQTT-4.1.0-1].
/// </summary>
public sealed class JournalEngineTests
{
    private readonly InMemorySessionStateStore _sessions = new();
    private readonly InMemoryRetainedMessageStore _retained = new();

    [Fact]
    public async Task AcknowledgedQoS1AndQoS2_AreInTheStore_ForABrokerStartedAfterACrash_MQTT_4_1_0_1()
    {
        var journal = new InMemorySessionJournal(_sessions, _retained);
        var crashed = Start(journal);
        var subscriber = new InMemoryTransport(crashed, MqttProtocolVersion.V500);
        await subscriber.SendPacketAsync(Connect("offline"));
        Assert.IsType<ConnAckPacket>(await subscriber.NextAsync());
        await subscriber.SendPacketAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription { TopicFilter = "j/#", QoS = MqttQualityOfService.ExactlyOnce }] });
        Assert.IsType<SubAckPacket>(await subscriber.NextAsync());
        subscriber.Close();
        await PublishCollector.WaitUntilAsync(() => crashed.Sessions.TryGet("offline", out var s) && !s.IsConnected, "the subscriber to leave");

        var publisher = new InMemoryTransport(crashed, MqttProtocolVersion.V500);
        await publisher.SendPacketAsync(new ConnectPacket { ProtocolVersion = MqttProtocolVersion.V500, ClientId = "pub", KeepAlive = 60 });
        Assert.IsType<ConnAckPacket>(await publisher.NextAsync());
        for (ushort id = 1; id <= 3; id++)
        {
            await publisher.SendPacketAsync(new PublishPacket { Topic = "j/1", Payload = new[] { (byte)id }, QoS = MqttQualityOfService.AtLeastOnce, PacketId = id });
            Assert.Equal(MqttReasonCode.Success, Assert.IsType<PubAckPacket>(await publisher.NextAsync()).ReasonCode);
        }

        await publisher.SendPacketAsync(new PublishPacket { Topic = "j/2", Payload = new byte[] { 4 }, QoS = MqttQualityOfService.ExactlyOnce, PacketId = 4, Retain = true });
        Assert.Equal(MqttReasonCode.Success, Assert.IsType<PubRecPacket>(await publisher.NextAsync()).ReasonCode);

        // The acknowledgements came: the store holds the queue and the retained message now, whatever the broker does next.
        Assert.Equal(4, Assert.Single(_sessions.Load()).Pending.Count);
        Assert.Equal(1, _retained.Count);

        // A second broker on the same stores, the first never stopped.
        await using var restarted = Start(new InMemorySessionJournal(_sessions, _retained));
        var back = new InMemoryTransport(restarted, MqttProtocolVersion.V500);
        await back.SendPacketAsync(Connect("offline"));
        Assert.True(Assert.IsType<ConnAckPacket>(await back.NextAsync()).SessionPresent);
        var payloads = new List<byte>();
        for (int i = 0; i < 4; i++)
        {
            var message = Assert.IsType<PublishPacket>(await back.NextAsync());
            payloads.Add(message.Payload.Span[0]);
            await back.SendPacketAsync(message.QoS == MqttQualityOfService.AtLeastOnce ? new PubAckPacket { PacketId = message.PacketId } : new PubRecPacket { PacketId = message.PacketId });
        }

        Assert.Equal([1, 2, 3, 4], payloads); // in order [MQTT-4.6.0-5]
        Assert.IsType<PubRelPacket>(await back.NextAsync());
        await PublishCollector.WaitUntilAsync(() => Assert.Single(_sessions.Load()) is { Pending.Count: 0, Inflight.Count: 1 }, "the acknowledged deliveries to leave the store");
        await crashed.DisposeAsync();
    }

    [Fact]
    public async Task FailingStore_RefusesQoS1_With0x97Or0x80_AndAcceptsAgainOnceItCommits()
    {
        var journal = new InMemorySessionJournal(_sessions, _retained);
        await using var broker = Start(journal);
        var subscriber = new InMemoryTransport(broker, MqttProtocolVersion.V500);
        await subscriber.SendPacketAsync(Connect("keeper"));
        Assert.IsType<ConnAckPacket>(await subscriber.NextAsync());
        await subscriber.SendPacketAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription { TopicFilter = "f", QoS = MqttQualityOfService.AtLeastOnce }] });
        Assert.IsType<SubAckPacket>(await subscriber.NextAsync());
        subscriber.Close();
        await PublishCollector.WaitUntilAsync(() => broker.Sessions.TryGet("keeper", out var s) && !s.IsConnected, "the subscriber to leave");

        var publisher = new InMemoryTransport(broker, MqttProtocolVersion.V500);
        await publisher.SendPacketAsync(new ConnectPacket { ProtocolVersion = MqttProtocolVersion.V500, ClientId = "pub", KeepAlive = 60 });
        Assert.IsType<ConnAckPacket>(await publisher.NextAsync());
        journal.Failing = true;
        await publisher.SendPacketAsync(new PublishPacket { Topic = "f", Payload = new byte[] { 1 }, QoS = MqttQualityOfService.AtLeastOnce, PacketId = 1 });
        Assert.Equal(MqttReasonCode.UnspecifiedError, Assert.IsType<PubAckPacket>(await publisher.NextAsync()).ReasonCode); // not stored: not acknowledged as stored

        // Within a second of the failure, refused before routing.
        await publisher.SendPacketAsync(new PublishPacket { Topic = "f", Payload = new byte[] { 2 }, QoS = MqttQualityOfService.AtLeastOnce, PacketId = 2 });
        Assert.Equal(MqttReasonCode.UnspecifiedError, Assert.IsType<PubAckPacket>(await publisher.NextAsync()).ReasonCode);

        journal.Failing = false;
        await Task.Delay(1100);
        await publisher.SendPacketAsync(new PublishPacket { Topic = "f", Payload = new byte[] { 3 }, QoS = MqttQualityOfService.AtLeastOnce, PacketId = 3 });
        Assert.Equal(MqttReasonCode.Success, Assert.IsType<PubAckPacket>(await publisher.NextAsync()).ReasonCode);
        Assert.Contains(Assert.Single(_sessions.Load()).Pending, p => p.Message.Payload[0] == 3);
    }

    private MqttBroker Start(InMemorySessionJournal journal)
    {
        var broker = new MqttBroker(new BrokerOptions(), retainedStore: _retained, sessionState: _sessions, journal: journal);
        broker.Start();
        return broker;
    }

    private static ConnectPacket Connect(string clientId) =>
        new() { ProtocolVersion = MqttProtocolVersion.V500, ClientId = clientId, CleanSession = false, KeepAlive = 60, Properties = new MqttProperties { SessionExpiryInterval = 3600 } };
}

using System.Buffers.Binary;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Broker.Tests.Engine;

/// <summary>
/// A publisher's small messages share one reused scratch message unless a delivery held it (a queue, an in-flight
/// slot, the retained store, a send batch sharing the payload). If a holder were missed, a later PUBLISH would
/// overwrite bytes still waiting to go out (or to be resent, or retained): every subscriber here checks each
/// payload byte for byte.
/// </summary>
public sealed class MessageReuseTests
{
    private const int Messages = 360;
    private const int Round = 18; // two cycles of the sizes: ~17 KB, well under the send-buffer limit
    private static readonly string[] Topics = ["t/a", "t/b", "t/c", "u/x"]; // some t/b ones go to t/r/{index}, retained
    private static readonly int[] Sizes = [4, 63, 64, 500, 1022, 1023, 1024, 1025, 3000];

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task EverySubscriber_GetsExactBytes_WhileTheScratchMessageIsReused(MqttProtocolVersion version)
    {
        await using var broker = new MqttBroker(new BrokerOptions { QueueQoS0WhileOffline = true, MaximumSendBufferBytes = 64 * 1024 });
        var sent = Enumerable.Range(0, Messages).Select(Sent.Make).ToList();

        // A persistent session, offline while the messages come: QoS 0 and 1 are queued for it (held).
        var offline = new InMemoryTransport(broker, version);
        await ConnectAsync(offline, version, "offline", clean: false);
        await SubscribeAsync(offline, "t/a", MqttQualityOfService.AtLeastOnce);
        offline.Close();
        await PublishCollector.WaitUntilAsync(() => broker.Sessions.TryGet("offline", out var s) && !s.IsConnected, "the offline session");

        await using var everything = await SubscriberAsync(broker, version, "all", ("#", MqttQualityOfService.AtMostOnce, 0u));
        await using var overlapping = await SubscriberAsync(broker, version, "overlap", ("t/#", MqttQualityOfService.AtMostOnce, 1u), ("t/+", MqttQualityOfService.AtMostOnce, 2u));
        await using var qos1 = await SubscriberAsync(broker, version, "qos1", ("#", MqttQualityOfService.AtLeastOnce, 0u));
        await using var member1 = await SubscriberAsync(broker, version, "member1", ("$share/g/t/#", MqttQualityOfService.AtMostOnce, 0u));
        await using var member2 = await SubscriberAsync(broker, version, "member2", ("$share/g/t/#", MqttQualityOfService.AtMostOnce, 0u));
        await using var slow = await SubscriberAsync(broker, version, "slow", ("#", MqttQualityOfService.AtMostOnce, 0u));
        await using var unacknowledged = await SubscriberAsync(broker, version, "unacked", ("#", MqttQualityOfService.AtLeastOnce, 0u), clean: false, acknowledge: false);
        slow.Client.PauseSends(); // stops reading: its send buffer fills and QoS 0 is dropped for it alone

        var publisher = new InMemoryTransport(broker, version);
        await ConnectAsync(publisher, version, "publisher", clean: true);
        for (int start = 0; start < Messages; start += Round)
        {
            foreach (var message in sent.Skip(start).Take(Round))
            {
                await publisher.SendPacketAsync(new PublishPacket { Topic = message.Topic, Payload = message.Payload, QoS = message.QoS, Retain = message.Retain, PacketId = message.QoS == MqttQualityOfService.AtMostOnce ? (ushort)0 : (ushort)(message.Index + 1) });
            }

            // The fast readers keep up round by round, so only the slow one ever finds its buffer full.
            int published = start + Round;
            int toT = sent.Take(published).Count(m => m.Topic.StartsWith("t/", StringComparison.Ordinal));
            int held = sent.Take(published).Count(m => m.QoS == MqttQualityOfService.AtLeastOnce) - broker.Options.MaximumInflightMessages;
            int toUnacknowledged = published - Math.Max(0, held);
            await PublishCollector.WaitUntilAsync(() => everything.Count >= published && qos1.Count >= published && overlapping.Count >= toT && member1.Count + member2.Count >= toT && unacknowledged.Count >= toUnacknowledged, $"round at {start}");
        }

        // Everything, in order, at the delivered QoS (the minimum of published and granted) [MQTT-3.3.5-1].
        AssertSame(sent, everything.Received, MqttQualityOfService.AtMostOnce);
        AssertSame(sent, qos1.Received, MqttQualityOfService.AtLeastOnce);

        // Two overlapping subscriptions of one session: each message once, with both identifiers in 5.0.
        var toTopicsT = sent.Where(m => m.Topic.StartsWith("t/", StringComparison.Ordinal)).ToList();
        AssertSame(toTopicsT, overlapping.Received, MqttQualityOfService.AtMostOnce);
        if (version == MqttProtocolVersion.V500)
        {
            // t/r/{index} matches t/# (identifier 1) but not t/+ (identifier 2).
            Assert.All(overlapping.Received, p => Assert.Equal(p.Topic.StartsWith("t/r/", StringComparison.Ordinal) ? [1u] : new uint[] { 1, 2 }, p.Properties!.SubscriptionIdentifiers!.Order()));
        }

        // A shared group: each message to exactly one member, each member's share in order.
        var shares = member1.Received.Concat(member2.Received).Select(Sent.IndexOf).Order().ToList();
        Assert.Equal(toTopicsT.Select(m => m.Index), shares);
        AssertSubsequence(sent, member1.Received);
        AssertSubsequence(sent, member2.Received);

        // The reader that stopped: what it got is exact, and the rest was dropped, not corrupted.
        slow.Client.ResumeSends();
        await PublishCollector.WaitUntilAsync(() => slow.Count > 0, "the slow reader's first messages");
        await Task.Delay(300);
        Assert.InRange(slow.Count, 1, Messages - 1);
        AssertSubsequence(sent, slow.Received);

        // The offline session's queue: every t/a message, held since it was published.
        var back = new InMemoryTransport(broker, version);
        await using var resumed = new PublishCollector(back);
        await back.SendPacketAsync(new ConnectPacket { ProtocolVersion = version, ClientId = "offline", CleanSession = false, KeepAlive = 60, Properties = version == MqttProtocolVersion.V500 ? new MqttProperties { SessionExpiryInterval = 300 } : null });
        var toTa = sent.Where(m => m.Topic == "t/a").ToList();
        await PublishCollector.WaitUntilAsync(() => resumed.Count >= toTa.Count, "the queued messages");
        AssertSame(toTa, resumed.Received, MqttQualityOfService.AtLeastOnce);

        // In flight and never acknowledged: resent from the in-flight slots (DUP) on reconnection [MQTT-4.4.0-1],
        // then the queued rest; every QoS 1 message, intact.
        unacknowledged.Client.Close();
        await PublishCollector.WaitUntilAsync(() => broker.Sessions.TryGet("unacked", out var s) && !s.IsConnected, "the unacknowledging client to leave");
        var again = new InMemoryTransport(broker, version);
        await using var resent = new PublishCollector(again);
        await again.SendPacketAsync(new ConnectPacket { ProtocolVersion = version, ClientId = "unacked", CleanSession = false, KeepAlive = 60, Properties = version == MqttProtocolVersion.V500 ? new MqttProperties { SessionExpiryInterval = 300 } : null });
        var qos1Sent = sent.Where(m => m.QoS == MqttQualityOfService.AtLeastOnce).ToList();
        await PublishCollector.WaitUntilAsync(() => resent.Count >= qos1Sent.Count, "the resent messages");
        AssertSame(qos1Sent, resent.Received, MqttQualityOfService.AtLeastOnce);
        Assert.True(resent.Received[0].Dup);

        // The retained store: each retained message, intact after hundreds of later publishes [MQTT-3.3.1-5].
        var retainedSent = sent.Where(m => m.Retain).ToList();
        await using var late = await SubscriberAsync(broker, version, "late", ("t/r/#", MqttQualityOfService.AtMostOnce, 0u));
        await PublishCollector.WaitUntilAsync(() => late.Count >= retainedSent.Count, "the retained messages");
        var retained = late.Received.OrderBy(Sent.IndexOf).ToList();
        Assert.All(retained, p => Assert.True(p.Retain)); // [MQTT-3.3.1-8]
        AssertSame(retainedSent, retained, MqttQualityOfService.AtMostOnce);
    }

    private static void AssertSame(List<Sent> expected, List<PublishPacket> received, MqttQualityOfService granted)
    {
        Assert.Equal(expected.Count, received.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            var want = expected[i];
            Assert.Equal(want.Topic, received[i].Topic);
            Assert.Equal(want.QoS < granted ? want.QoS : granted, received[i].QoS);
            Assert.True(want.Payload.AsSpan().SequenceEqual(received[i].Payload.Span), $"message {want.Index} ({want.Payload.Length} B) arrived altered");
        }
    }

    /// <summary>Each received message is one that was sent, byte for byte, and they come in publishing order.</summary>
    private static void AssertSubsequence(List<Sent> sent, List<PublishPacket> received)
    {
        int last = -1;
        foreach (var packet in received)
        {
            int index = Sent.IndexOf(packet);
            Assert.True(index > last, $"message {index} after {last}");
            Assert.Equal(sent[index].Topic, packet.Topic);
            Assert.True(sent[index].Payload.AsSpan().SequenceEqual(packet.Payload.Span), $"message {index} arrived altered");
            last = index;
        }
    }

    private static Task<PublishCollector> SubscriberAsync(MqttBroker broker, MqttProtocolVersion version, string clientId, params (string Filter, MqttQualityOfService QoS, uint Id)[] subscriptions) =>
        SubscriberAsync(broker, version, clientId, subscriptions, clean: true, acknowledge: true);

    private static async Task<PublishCollector> SubscriberAsync(MqttBroker broker, MqttProtocolVersion version, string clientId, (string Filter, MqttQualityOfService QoS, uint Id) subscription, bool clean, bool acknowledge) =>
        await SubscriberAsync(broker, version, clientId, [subscription], clean, acknowledge);

    private static async Task<PublishCollector> SubscriberAsync(MqttBroker broker, MqttProtocolVersion version, string clientId, (string Filter, MqttQualityOfService QoS, uint Id)[] subscriptions, bool clean, bool acknowledge)
    {
        var client = new InMemoryTransport(broker, version);
        await ConnectAsync(client, version, clientId, clean);
        foreach (var (filter, qos, id) in subscriptions)
        {
            await SubscribeAsync(client, filter, qos, version == MqttProtocolVersion.V500 && id != 0 ? id : null);
        }

        return new PublishCollector(client, acknowledge);
    }

    private static async Task ConnectAsync(InMemoryTransport client, MqttProtocolVersion version, string clientId, bool clean)
    {
        var properties = clean ? null : new MqttProperties { SessionExpiryInterval = 300 };
        await client.SendPacketAsync(new ConnectPacket { ProtocolVersion = version, ClientId = clientId, CleanSession = clean, KeepAlive = 60, Properties = version == MqttProtocolVersion.V500 ? properties : null });
        var connAck = Assert.IsType<ConnAckPacket>(await client.NextAsync());
        Assert.Equal(MqttReasonCode.Success, connAck.ReasonCode);
    }

    private static async Task SubscribeAsync(InMemoryTransport client, string filter, MqttQualityOfService qos, uint? id = null)
    {
        await client.SendPacketAsync(new SubscribePacket
        {
            PacketId = 1,
            Subscriptions = [new MqttSubscription { TopicFilter = filter, QoS = qos }],
            Properties = id is { } value ? new MqttProperties { SubscriptionIdentifiers = [value] } : null,
        });
        Assert.IsType<SubAckPacket>(await client.NextAsync());
    }

    /// <summary>One published message: its index is in its first 4 payload bytes, the rest a pattern of the index.</summary>
    private sealed record Sent(int Index, string Topic, MqttQualityOfService QoS, bool Retain, byte[] Payload)
    {
        public static Sent Make(int index)
        {
            string topic = Topics[index % Topics.Length];
            bool retain = topic == "t/b" && index % 3 == 0;
            if (retain)
            {
                topic = $"t/r/{index}"; // one retained message per topic, so that every one of them can be checked
            }

            var payload = new byte[Sizes[index % Sizes.Length]];
            BinaryPrimitives.WriteInt32LittleEndian(payload, index);
            for (int i = 4; i < payload.Length; i++)
            {
                payload[i] = (byte)((index * 31) + (i * 7));
            }

            // Some QoS 1 (held in flight by the QoS 1 subscriber), some retained (held by the store).
            var qos = index % 5 == 3 ? MqttQualityOfService.AtLeastOnce : MqttQualityOfService.AtMostOnce;
            return new Sent(index, topic, qos, retain, payload);
        }

        public static int IndexOf(PublishPacket packet) => BinaryPrimitives.ReadInt32LittleEndian(packet.Payload.Span);
    }
}

using System.Buffers;
using Starling.Broker.Hooks;
using Starling.Mqtt;
using Starling.Mqtt.Packets;
using Starling.TestSupport;

namespace Starling.Broker.Tests.Engine;

/// <summary>An incoming PUBLISH's topic arrives as one value whatever its source: split received bytes, or a topic alias.</summary>
public sealed class IncomingTopicTests
{
    [Fact]
    public async Task TopicSplitAcrossReceiveSegments_IsRoutedWhole()
    {
        await using var broker = new MqttBroker();
        var subscriber = await SubscribedAsync(broker, "a/b/c");
        var publisher = new InMemoryTransport(broker);
        await publisher.ConnectAsync("pub");

        var writer = new ArrayBufferWriter<byte>();
        MqttPacketWriter.Write(new PublishPacket { Topic = "a/b/c", Payload = "x"u8.ToArray() }, MqttProtocolVersion.V311, writer);
        long consumed = await publisher.Connection.ReceiveAsync(ByteSegments.Split(writer.WrittenSpan.ToArray(), 1));

        Assert.Equal(writer.WrittenCount, consumed);
        Assert.Equal("a/b/c", Assert.IsType<PublishPacket>(await subscriber.NextAsync()).Topic);
    }

    [Fact]
    public async Task TopicAlias_SetThenUsed_ReachesHookAndSubscriberAsTheTopic()
    {
        var hook = new TopicRecorder();
        await using var broker = new MqttBroker(hooks: [hook]);
        var subscriber = await SubscribedAsync(broker, "t/x");
        var publisher = new InMemoryTransport(broker, MqttProtocolVersion.V500);
        await publisher.ConnectAsync("pub");

        await publisher.SendPacketAsync(new PublishPacket { Topic = "t/x", Payload = "1"u8.ToArray(), Properties = new MqttProperties { TopicAlias = 1 } });
        await publisher.SendPacketAsync(new PublishPacket { Topic = "", Payload = "2"u8.ToArray(), Properties = new MqttProperties { TopicAlias = 1 } });

        Assert.Equal("t/x", Assert.IsType<PublishPacket>(await subscriber.NextAsync()).Topic);
        Assert.Equal("t/x", Assert.IsType<PublishPacket>(await subscriber.NextAsync()).Topic);
        Assert.Equal(["t/x", "t/x"], hook.Topics);
    }

    private static async Task<InMemoryTransport> SubscribedAsync(MqttBroker broker, string filter)
    {
        var subscriber = new InMemoryTransport(broker);
        await subscriber.ConnectAsync("sub");
        await subscriber.SendPacketAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription { TopicFilter = filter }] });
        Assert.IsType<SubAckPacket>(await subscriber.NextAsync());
        return subscriber;
    }

    private sealed class TopicRecorder : BrokerHook
    {
        public List<string> Topics { get; } = [];

        public override ValueTask<bool> OnPublishAsync(PublishContext context, CancellationToken cancellationToken)
        {
            Topics.Add(context.Topic);
            return ValueTask.FromResult(true);
        }
    }
}

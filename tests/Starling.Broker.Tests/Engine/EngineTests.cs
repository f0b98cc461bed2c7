using System.Buffers;
using Starling.Broker;
using Starling.Broker.Hooks;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Broker.Tests.Engine;

/// <summary>The engine driven through an in-memory transport: no socket anywhere.</summary>
public sealed class EngineTests : IAsyncLifetime
{
    private readonly MqttBroker _broker = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    [Fact]
    public async Task Connect_Subscribe_Publish_InMemory()
    {
        var subscriber = new InMemoryTransport(_broker);
        Assert.Equal(MqttReasonCode.Success, (await subscriber.ConnectAsync("sub")).ReasonCode);
        await subscriber.SendPacketAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription { TopicFilter = "a/+", QoS = MqttQualityOfService.AtLeastOnce }] });
        Assert.Equal([MqttReasonCode.GrantedQoS1], Assert.IsType<SubAckPacket>(await subscriber.NextAsync()).ReasonCodes);

        var publisher = new InMemoryTransport(_broker);
        await publisher.ConnectAsync("pub");
        await publisher.SendPacketAsync(new PublishPacket { Topic = "a/b", Payload = "x"u8.ToArray(), QoS = MqttQualityOfService.AtLeastOnce, PacketId = 9 });
        Assert.Equal(9, Assert.IsType<PubAckPacket>(await publisher.NextAsync()).PacketId);

        var delivered = Assert.IsType<PublishPacket>(await subscriber.NextAsync());
        Assert.Equal(("a/b", MqttQualityOfService.AtLeastOnce), (delivered.Topic, delivered.QoS));
        await subscriber.SendPacketAsync(new PubAckPacket { PacketId = delivered.PacketId });
    }

    [Fact]
    public async Task PacketsFedOneByteAtATime_AreReassembled()
    {
        var client = new InMemoryTransport(_broker);
        var writer = new ArrayBufferWriter<byte>();
        MqttPacketWriter.Write(new ConnectPacket { ClientId = "bytewise", KeepAlive = 60 }, MqttProtocolVersion.V311, writer);
        MqttPacketWriter.Write(new SubscribePacket { PacketId = 2, Subscriptions = [new MqttSubscription { TopicFilter = "t" }] }, MqttProtocolVersion.V311, writer);
        MqttPacketWriter.Write(PingReqPacket.Instance, MqttProtocolVersion.V311, writer);
        for (int i = 0; i < writer.WrittenCount; i++)
        {
            await client.FeedAsync(writer.WrittenMemory.Slice(i, 1));
        }

        Assert.IsType<ConnAckPacket>(await client.NextAsync());
        Assert.IsType<SubAckPacket>(await client.NextAsync());
        Assert.IsType<PingRespPacket>(await client.NextAsync());
    }

    [Fact]
    public async Task DeclaredLengthOverTheMaximum_ClosesBeforeTheBodyArrives()
    {
        await using var broker = new MqttBroker(new BrokerOptions { MaximumPacketSize = 1024 });
        var client = new InMemoryTransport(broker);
        await client.ConnectAsync("big");

        // PUBLISH declaring 256 MB, followed by nothing: refused from the fixed header alone.
        await client.FeedAsync(new byte[] { 0x30, 0x80, 0x80, 0x80, 0x80 - 0x80 + 0x01 });
        await client.Closed.Task.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task PublishWithNoSubscriber_DecodeAndMatch_AllocateNothing()
    {
        var client = new InMemoryTransport(_broker);
        await client.ConnectAsync("quiet");
        var writer = new ArrayBufferWriter<byte>();
        MqttPacketWriter.Write(new PublishPacket { Topic = "nobody/listens/here", Payload = new byte[64] }, MqttProtocolVersion.V311, writer);
        var bytes = new ReadOnlySequence<byte>(writer.WrittenMemory);
        for (int i = 0; i < 100; i++)
        {
            await client.Connection.ReceiveAsync(bytes); // warm up
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            var pending = client.Connection.ReceiveAsync(bytes);
            Assert.True(pending.IsCompletedSuccessfully);
        }

        long perPublish = (GC.GetAllocatedBytesForCurrentThread() - before) / 1000;

        // A Debug build compiles async state machines as classes, one box per call; Release (what CI and the
        // benchmarks run) allocates nothing at all on this path.
        bool optimized = typeof(MqttBroker).Assembly.GetCustomAttributes(typeof(System.Diagnostics.DebuggableAttribute), false)
            is not [System.Diagnostics.DebuggableAttribute { IsJITOptimizerDisabled: true }];
        Assert.True(optimized ? perPublish == 0 : perPublish < 400, $"{perPublish} bytes allocated per PUBLISH (optimized: {optimized})");
    }

    [Fact]
    public async Task Hooks_NotOverridden_AreNotCalled_AndOverriddenOnesRunInOrder()
    {
        var calls = new List<string>();
        await using var broker = new MqttBroker(hooks: [new NamedHook("first", calls), new NamedHook("second", calls)]);
        var client = new InMemoryTransport(broker);
        await client.SendPacketAsync(new ConnectPacket { ClientId = "hooked", KeepAlive = 60 });
        Assert.Equal(MqttReasonCode.NotAuthorized, Assert.IsType<ConnAckPacket>(await client.NextAsync()).ReasonCode);
        Assert.Equal(["first", "second"], calls);
        await client.Closed.Task.WaitAsync(TimeSpan.FromSeconds(5));
    }

    private sealed class NamedHook(string name, List<string> calls) : BrokerHook
    {
        public override ValueTask<MqttReasonCode> OnConnectAsync(ConnectContext context, CancellationToken cancellationToken)
        {
            calls.Add(name);
            return ValueTask.FromResult(name == "second" ? MqttReasonCode.NotAuthorized : MqttReasonCode.Success);
        }
    }
}

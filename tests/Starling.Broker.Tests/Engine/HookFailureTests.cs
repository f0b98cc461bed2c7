using System.Net;
using Starling.Broker.Hooks;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Broker.Tests.Engine;

/// <summary>The chain's failure policy: a hook that throws refuses at its point, and never escapes into the broker.</summary>
public sealed class HookFailureTests
{
    [Fact]
    public async Task ThrowingOnAccept_ClosesTheSocket()
    {
        await using var broker = new MqttBroker(hooks: [new ThrowingHook()]);
        Assert.False(await broker.AcceptAsync(new AcceptContext(new IPEndPoint(IPAddress.Loopback, 1), null, "test")));
    }

    [Fact]
    public async Task ThrowingOnConnect_RefusesWithUnspecifiedError()
    {
        await using var broker = new MqttBroker(hooks: [new ThrowingHook()]);
        var client = new InMemoryTransport(broker, MqttProtocolVersion.V500);
        Assert.Equal(MqttReasonCode.UnspecifiedError, (await client.ConnectAsync("c")).ReasonCode);
    }

    [Fact]
    public async Task ThrowingOnSubscribeAndOnPublish_RefuseTheFilterAndTheMessage()
    {
        await using var broker = new MqttBroker(hooks: [new ThrowingHook { Connects = true }]);
        var client = new InMemoryTransport(broker, MqttProtocolVersion.V500);
        Assert.Equal(MqttReasonCode.Success, (await client.ConnectAsync("c")).ReasonCode);

        await client.SendPacketAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription { TopicFilter = "t" }] });
        Assert.Equal([MqttReasonCode.UnspecifiedError], Assert.IsType<SubAckPacket>(await client.NextAsync()).ReasonCodes);

        await client.SendPacketAsync(new PublishPacket { Topic = "t", Payload = "x"u8.ToArray(), QoS = MqttQualityOfService.AtLeastOnce, PacketId = 2 });
        Assert.Equal(MqttReasonCode.NotAuthorized, Assert.IsType<PubAckPacket>(await client.NextAsync()).ReasonCode);
    }

    [Fact]
    public async Task ThrowingOnCloseAndOnStop_AreOnlyLogged()
    {
        var broker = new MqttBroker(hooks: [new ThrowingHook { Connects = true }]);
        var client = new InMemoryTransport(broker);
        await client.ConnectAsync("c");
        await client.Connection.TransportClosedAsync(); // runs OnClose, which throws
        Assert.Equal(0, broker.ConnectionCount);
        await broker.DisposeAsync(); // runs OnStop, which throws
    }

    private sealed class ThrowingHook : BrokerHook
    {
        public bool Connects { get; init; }

        public override ValueTask<bool> OnAcceptAsync(AcceptContext context, CancellationToken cancellationToken) => throw new InvalidOperationException("accept");

        public override ValueTask<MqttReasonCode> OnConnectAsync(ConnectContext context, CancellationToken cancellationToken) =>
            Connects ? ValueTask.FromResult(MqttReasonCode.Success) : throw new InvalidOperationException("connect");

        public override ValueTask<MqttReasonCode> OnSubscribeAsync(SubscribeContext context, CancellationToken cancellationToken) => throw new InvalidOperationException("subscribe");

        public override ValueTask<bool> OnPublishAsync(PublishContext context, CancellationToken cancellationToken) => throw new InvalidOperationException("publish");

        public override ValueTask OnCloseAsync(CloseContext context, CancellationToken cancellationToken) => throw new InvalidOperationException("close");

        public override ValueTask OnStopAsync(CancellationToken cancellationToken) => throw new InvalidOperationException("stop");
    }
}

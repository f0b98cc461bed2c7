using Starling.Broker.Hooks;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Broker.Tests.Engine;

/// <summary>Access rules changed after the fact (<see cref="MqttBroker.RevokeSubscriptions"/>, what an ACL reload calls).</summary>
public sealed class RevocationTests
{
    [Fact]
    public async Task ASubscribeAuthorizedUnderTheOldRules_ThatCompletesAfterTheRevocation_IsRefused()
    {
        var hook = new HeldSubscribeHook();
        await using var broker = new MqttBroker(hooks: [hook]);
        var subscriber = new InMemoryTransport(broker, MqttProtocolVersion.V500);
        await subscriber.ConnectAsync("late");
        // The engine's receive completes only once the hook returns: held, not awaited yet.
        var subscribing = subscriber.SendPacketAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription { TopicFilter = "a/#", QoS = MqttQualityOfService.AtLeastOnce }] });
        int revoked;
        try
        {
            await hook.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10));

            // The hook grants a/# under the old rules; the new ones refuse it before the SUBSCRIBE completes.
            revoked = broker.RevokeSubscriptions(grant => !grant.TopicFilter.StartsWith("a/", StringComparison.Ordinal));
        }
        finally
        {
            hook.Release.TrySetResult(); // a failed wait must not leave the broker's stop waiting on the hook
        }

        await subscribing.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, revoked);

        Assert.Equal([MqttReasonCode.NotAuthorized], Assert.IsType<SubAckPacket>(await subscriber.NextAsync()).ReasonCodes);
        Assert.Equal(0, broker.SubscriptionCount);
        var publisher = new InMemoryTransport(broker, MqttProtocolVersion.V500);
        await publisher.ConnectAsync("pub");
        await publisher.SendPacketAsync(new PublishPacket { Topic = "a/b", Payload = "x"u8.ToArray(), QoS = MqttQualityOfService.AtLeastOnce, PacketId = 2 });
        Assert.IsType<PubAckPacket>(await publisher.NextAsync());
        await Assert.ThrowsAsync<TimeoutException>(() => subscriber.NextAsync(TimeSpan.FromMilliseconds(300))); // nothing delivered
    }

    [Fact]
    public async Task ARevocation_RemovesTheSubscriptionFromTheSessionAndTheTreeTogether_SoAResubscribeHolds()
    {
        await using var broker = new MqttBroker();
        var subscriber = new InMemoryTransport(broker, MqttProtocolVersion.V500);
        await subscriber.ConnectAsync("again");
        await subscriber.SendPacketAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription { TopicFilter = "a/#" }] });
        Assert.IsType<SubAckPacket>(await subscriber.NextAsync());

        Assert.Equal(1, broker.RevokeSubscriptions(_ => false));
        Assert.Equal(0, broker.SubscriptionCount);

        // The rules allow it again (a later reload): the client subscribes anew and receives.
        broker.RevokeSubscriptions(_ => true);
        await subscriber.SendPacketAsync(new SubscribePacket { PacketId = 2, Subscriptions = [new MqttSubscription { TopicFilter = "a/#" }] });
        Assert.Equal([MqttReasonCode.Success], Assert.IsType<SubAckPacket>(await subscriber.NextAsync()).ReasonCodes);
        Assert.Equal(1, broker.SubscriptionCount);
        var publisher = new InMemoryTransport(broker, MqttProtocolVersion.V500);
        await publisher.ConnectAsync("pub");
        await publisher.SendPacketAsync(new PublishPacket { Topic = "a/b", Payload = "x"u8.ToArray() });
        Assert.Equal("a/b", Assert.IsType<PublishPacket>(await subscriber.NextAsync()).Topic);
    }

    /// <summary>Grants every filter, but holds the SUBSCRIBE in the hook until the test releases it.</summary>
    private sealed class HeldSubscribeHook : BrokerHook
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async ValueTask<MqttReasonCode> OnSubscribeAsync(SubscribeContext context, CancellationToken cancellationToken)
        {
            Entered.TrySetResult();
            await Release.Task.ConfigureAwait(false);
            return context.Result;
        }
    }
}

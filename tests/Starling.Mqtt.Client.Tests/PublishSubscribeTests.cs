using System.Text;
using Starling.Mqtt;
using Starling.Mqtt.Client;
using Starling.Mqtt.Packets;

namespace Starling.Mqtt.Client.Tests;

public class PublishSubscribeTests
{
    public static TheoryData<MqttProtocolVersion, MqttQualityOfService> VersionsAndQoS()
    {
        var data = new TheoryData<MqttProtocolVersion, MqttQualityOfService>();
        foreach (var version in new[] { MqttProtocolVersion.V311, MqttProtocolVersion.V500 })
        {
            foreach (var qos in new[] { MqttQualityOfService.AtMostOnce, MqttQualityOfService.AtLeastOnce, MqttQualityOfService.ExactlyOnce })
            {
                data.Add(version, qos);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(VersionsAndQoS))]
    public async Task Round_trip_in_both_directions(MqttProtocolVersion version, MqttQualityOfService qos)
    {
        await using var broker = await TestBroker.StartAsync();
        await using var alice = await broker.ConnectAsync(version);
        await using var bob = await broker.ConnectAsync(version);

        var aliceSub = await alice.SubscribeAsync("to/alice", qos, cancellationToken: Timeout.Token);
        var bobSub = await bob.SubscribeAsync("to/+", qos, cancellationToken: Timeout.Token);
        Assert.Equal((MqttReasonCode)qos, Assert.Single(aliceSub.ReasonCodes));
        Assert.Equal((MqttReasonCode)qos, Assert.Single(bobSub.ReasonCodes));

        var toBob = await alice.PublishAsync("to/bob", "hello bob", qos, cancellationToken: Timeout.Token);
        var received = await bob.ReadAsync(Timeout.Token);
        Assert.Equal("to/bob", received.Topic);
        Assert.Equal("hello bob", Encoding.UTF8.GetString(received.Payload.Span));
        Assert.Equal(qos, received.QoS);
        Assert.False(received.Retain);
        Assert.True(toBob is MqttReasonCode.Success or MqttReasonCode.NoMatchingSubscribers);

        var toAlice = await bob.PublishAsync("to/alice", "hello alice"u8.ToArray(), qos, cancellationToken: Timeout.Token);
        Assert.Equal(MqttReasonCode.Success, toAlice);
        var reply = await alice.ReadAsync(Timeout.Token);
        Assert.Equal("to/alice", reply.Topic);
        Assert.Equal("hello alice", Encoding.UTF8.GetString(reply.Payload.Span));

        // bob's "to/+" also matches alice's topic.
        var echo = await bob.ReadAsync(Timeout.Token);
        Assert.Equal("to/alice", echo.Topic);
        Assert.False(alice.TryRead(out _));
    }

    [Theory]
    [InlineData(MqttQualityOfService.AtLeastOnce)]
    [InlineData(MqttQualityOfService.ExactlyOnce)]
    public async Task Many_concurrent_publishes_all_arrive_in_order(MqttQualityOfService qos)
    {
        await using var broker = await TestBroker.StartAsync();
        await using var publisher = await broker.ConnectAsync(MqttProtocolVersion.V500);
        await using var subscriber = await broker.ConnectAsync(MqttProtocolVersion.V500);
        await subscriber.SubscribeAsync("load/#", qos, cancellationToken: Timeout.Token);

        const int count = 200;
        var sends = Enumerable.Range(0, count).Select(i => publisher.PublishAsync($"load/{i}", BitConverter.GetBytes(i), qos, cancellationToken: Timeout.Token)).ToArray();
        var codes = await Task.WhenAll(sends);
        Assert.All(codes, c => Assert.Equal(MqttReasonCode.Success, c));

        var seen = new HashSet<string>();
        for (var i = 0; i < count; i++)
        {
            seen.Add((await subscriber.ReadAsync(Timeout.Token)).Topic);
        }

        Assert.Equal(count, seen.Count);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Retained_message_reaches_a_later_subscriber(MqttProtocolVersion version)
    {
        await using var broker = await TestBroker.StartAsync();
        await using var publisher = await broker.ConnectAsync(version);
        await publisher.PublishAsync("state/lamp", "on", MqttQualityOfService.AtLeastOnce, retain: true, cancellationToken: Timeout.Token);

        await using var subscriber = await broker.ConnectAsync(version);
        await subscriber.SubscribeAsync("state/#", MqttQualityOfService.AtLeastOnce, cancellationToken: Timeout.Token);

        var retained = await subscriber.ReadAsync(Timeout.Token);
        Assert.Equal("state/lamp", retained.Topic);
        Assert.Equal("on", Encoding.UTF8.GetString(retained.Payload.Span));
        Assert.True(retained.Retain);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Unsubscribe_stops_delivery(MqttProtocolVersion version)
    {
        await using var broker = await TestBroker.StartAsync();
        await using var publisher = await broker.ConnectAsync(version);
        await using var subscriber = await broker.ConnectAsync(version);
        await subscriber.SubscribeAsync(
            [
                new MqttSubscription { TopicFilter = "a", QoS = MqttQualityOfService.AtLeastOnce },
                new MqttSubscription { TopicFilter = "b", QoS = MqttQualityOfService.AtLeastOnce },
            ],
            cancellationToken: Timeout.Token);

        var unsubAck = await subscriber.UnsubscribeAsync("a", Timeout.Token);
        if (version == MqttProtocolVersion.V500)
        {
            Assert.Equal(MqttReasonCode.Success, Assert.Single(unsubAck.ReasonCodes));
        }

        await publisher.PublishAsync("a", "dropped", MqttQualityOfService.AtLeastOnce, cancellationToken: Timeout.Token);
        await publisher.PublishAsync("b", "marker", MqttQualityOfService.AtLeastOnce, cancellationToken: Timeout.Token);

        var first = await subscriber.ReadAsync(Timeout.Token);
        Assert.Equal("b", first.Topic);
        Assert.False(subscriber.TryRead(out _));
    }

    [Fact]
    public async Task Callback_sees_messages_and_may_publish_from_inside()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var responder = await broker.ConnectAsync(MqttProtocolVersion.V500, configure: o => o.UseMessageChannel = false);
        await using var requester = await broker.ConnectAsync(MqttProtocolVersion.V500);
        responder.MessageReceived = async (message, ct) =>
        {
            // Waiting for a PUBACK inside the callback must not deadlock the read loop.
            await responder.PublishAsync("reply", message.Payload, MqttQualityOfService.AtLeastOnce, cancellationToken: ct);
        };
        await responder.SubscribeAsync("request", MqttQualityOfService.AtLeastOnce, cancellationToken: Timeout.Token);
        await requester.SubscribeAsync("reply", MqttQualityOfService.AtLeastOnce, cancellationToken: Timeout.Token);

        await requester.PublishAsync("request", "ping!", MqttQualityOfService.AtLeastOnce, cancellationToken: Timeout.Token);

        var reply = await requester.ReadAsync(Timeout.Token);
        Assert.Equal("ping!", Encoding.UTF8.GetString(reply.Payload.Span));
        Assert.False(responder.TryRead(out _));
    }

    [Fact]
    public async Task User_properties_travel_in_5_0()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var publisher = await broker.ConnectAsync(MqttProtocolVersion.V500);
        await using var subscriber = await broker.ConnectAsync(MqttProtocolVersion.V500);
        await subscriber.SubscribeAsync("props", MqttQualityOfService.AtLeastOnce, cancellationToken: Timeout.Token);

        var properties = new MqttProperties
        {
            ContentType = "text/plain",
            UserProperties = [new MqttUserProperty("k", "v")],
        };
        await publisher.PublishAsync("props", "x", MqttQualityOfService.AtLeastOnce, properties: properties, cancellationToken: Timeout.Token);

        var message = await subscriber.ReadAsync(Timeout.Token);
        Assert.Equal("text/plain", message.Properties?.ContentType);
        Assert.Equal(new MqttUserProperty("k", "v"), Assert.Single(message.Properties!.UserProperties!));
    }
}

using Starling.Broker.Connections;
using Starling.Broker.Routing;
using Starling.Broker.Sessions;
using Starling.Mqtt;

namespace Starling.Broker.Tests.Engine;

/// <summary>
/// The lifetime rule of <see cref="ApplicationMessage"/>: a delivery that keeps the message past the dispatch marks it
/// held (then the publisher never refills it); one that copies it does not.
/// </summary>
public sealed class MessageHoldTests
{
    [Theory]
    [InlineData(100, MqttQualityOfService.AtMostOnce, true, false)] // copied into the send buffer
    [InlineData(SendBuffer.SharedPayloadThreshold - 1, MqttQualityOfService.AtMostOnce, true, false)]
    [InlineData(SendBuffer.SharedPayloadThreshold, MqttQualityOfService.AtMostOnce, true, true)] // the batch shares the payload
    [InlineData(100, MqttQualityOfService.AtLeastOnce, true, true)] // an in-flight slot
    [InlineData(100, MqttQualityOfService.AtMostOnce, false, true)] // queued while offline
    public async Task Delivery_MarksTheMessageHeld_OnlyWhenItKeepsIt(int payloadSize, MqttQualityOfService qos, bool connected, bool held)
    {
        await using var broker = new MqttBroker(new BrokerOptions { QueueQoS0WhileOffline = true });
        var client = new InMemoryTransport(broker);
        await client.SendPacketAsync(new Mqtt.Packets.ConnectPacket { ProtocolVersion = MqttProtocolVersion.V311, ClientId = "holder", CleanSession = false, KeepAlive = 60 });
        Assert.IsType<Mqtt.Packets.ConnAckPacket>(await client.NextAsync());
        Assert.True(broker.Sessions.TryGet("holder", out var session));
        if (!connected)
        {
            client.Close();
            await PublishCollector.WaitUntilAsync(() => !session.IsConnected, "the client to leave");
        }

        var message = new ApplicationMessage("t", new byte[payloadSize], qos, retain: false);
        session.Deliver(new OutgoingMessage(message, qos, Retain: false, SubscriptionIds: null));

        Assert.Equal(held, message.IsHeld);
    }
}

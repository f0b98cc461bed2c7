using MQTTnet.Protocol;
using Starling.Interop.Tests.Infrastructure;
using Starling.Mqtt;
using Starling.Mqtt.Packets;
using MqttProtocolVersion = MQTTnet.Formatter.MqttProtocolVersion;

namespace Starling.Interop.Tests.V5;

/// <summary>5.0 Receive Maximum and Maximum Packet Size, both ways (the broker announces Receive Maximum 2 and Maximum Packet Size 1024 here).</summary>
public sealed class FlowControlTests : BrokerTestBase
{
    protected override string[] Settings => ["--Starling:ReceiveMaximum=2", "--Starling:MaximumPacketSize=1024"];

    [Fact]
    public async Task ReceiveMaximum_IsAnnounced_InConnAck()
    {
        var (raw, connack) = await V5Raw.ConnectAsync(Broker, Id("rm"));
        await using var _ = raw;
        Assert.Equal((ushort)2, connack.Properties?.ReceiveMaximum);
    }

    [Fact]
    public async Task ThirdUnreleasedQoS2_AboveReceiveMaximum_IsDisconnect0x93_MQTT_3_3_4_9()
    {
        var (raw, _) = await V5Raw.ConnectAsync(Broker, Id("rm-in"));
        await using var _r = raw;
        for (ushort id = 1; id <= 3; id++)
        {
            await raw.SendAsync(new PublishPacket { Topic = "fc/q2", Payload = "x"u8.ToArray(), QoS = MqttQualityOfService.ExactlyOnce, PacketId = id });
        }

        Assert.Equal((ushort)1, (await V5Raw.ReceiveAsync<PubRecPacket>(raw)).PacketId);
        Assert.Equal((ushort)2, (await V5Raw.ReceiveAsync<PubRecPacket>(raw)).PacketId);
        await V5Raw.ExpectDisconnectAsync(raw, MqttReasonCode.ReceiveMaximumExceeded);
    }

    [Fact]
    public async Task ClientReceiveMaximum2_OnlyTwoInFlight_RestAfterPubAck_MQTT_3_3_4_7()
    {
        var (raw, _) = await V5Raw.ConnectAsync(Broker, Id("rm-out"), new MqttProperties { ReceiveMaximum = 2 });
        await using var _r = raw;
        await V5Raw.SubscribeAsync(raw, "fc/out", MqttQualityOfService.AtLeastOnce);
        await using (var publisher = await MqttNet.ConnectAsync(Broker, Id("pub")))
        {
            for (int i = 0; i < 5; i++)
            {
                await publisher.PublishAsync("fc/out", $"m{i}", MqttQualityOfServiceLevel.AtLeastOnce);
            }
        }

        var first = await V5Raw.ReceiveAsync<PublishPacket>(raw);
        var second = await V5Raw.ReceiveAsync<PublishPacket>(raw);
        await V5Raw.ExpectOnlyPingRespAsync(raw); // the other three wait for the window
        var payloads = new List<string> { V5Raw.Text(first.Payload), V5Raw.Text(second.Payload) };

        await raw.SendAsync(new PubAckPacket { PacketId = first.PacketId });
        await raw.SendAsync(new PubAckPacket { PacketId = second.PacketId });
        for (int i = 0; i < 3; i++)
        {
            var next = await V5Raw.ReceiveAsync<PublishPacket>(raw);
            payloads.Add(V5Raw.Text(next.Payload));
            await raw.SendAsync(new PubAckPacket { PacketId = next.PacketId });
        }

        Assert.Equal(["m0", "m1", "m2", "m3", "m4"], payloads);
    }

    [Fact]
    public async Task SubscriberMaximumPacketSize100_DoesNotGetA500ByteMessage_OthersDo_MQTT_3_1_2_25()
    {
        await using var small = await MqttNet.ConnectAsync(Broker, Id("small"), MqttProtocolVersion.V500, configure: o => o.WithMaximumPacketSize(100));
        await small.SubscribeAsync("fc/size", MqttQualityOfServiceLevel.AtLeastOnce);
        await using var large = await MqttNet.ConnectAsync(Broker, Id("large"), MqttProtocolVersion.V500);
        await large.SubscribeAsync("fc/size", MqttQualityOfServiceLevel.AtLeastOnce);
        await using var publisher = await MqttNet.ConnectAsync(Broker, Id("pub"), MqttProtocolVersion.V500);
        string big = new('b', 500);
        await publisher.PublishAsync("fc/size", big, MqttQualityOfServiceLevel.AtLeastOnce);
        await publisher.PublishAsync("fc/size", "tiny", MqttQualityOfServiceLevel.AtLeastOnce);

        Assert.Equal("tiny", MqttNet.Text(small.Next()));
        Assert.Null(small.Next(Short));
        Assert.Equal(big, MqttNet.Text(large.Next()));
        Assert.Equal("tiny", MqttNet.Text(large.Next()));
    }

    [Fact]
    public async Task PacketAboveBrokersMaximumPacketSize_IsDisconnect0x95()
    {
        var (raw, connack) = await V5Raw.ConnectAsync(Broker, Id("toolarge"));
        await using var _r = raw;
        Assert.Equal(1024u, connack.Properties?.MaximumPacketSize);
        await raw.SendAsync(new PublishPacket { Topic = "fc/big", Payload = new byte[2000], QoS = MqttQualityOfService.AtLeastOnce, PacketId = 1 });
        await V5Raw.ExpectDisconnectAsync(raw, MqttReasonCode.PacketTooLarge);
    }
}

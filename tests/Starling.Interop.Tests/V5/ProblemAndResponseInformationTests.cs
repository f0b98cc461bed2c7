using MQTTnet;
using MQTTnet.Protocol;
using Starling.Broker.Hooks;
using Starling.Interop.Tests.Infrastructure;
using Starling.Mqtt;
using Starling.Mqtt.Packets;
using MqttProtocolVersion = MQTTnet.Formatter.MqttProtocolVersion;

namespace Starling.Interop.Tests.V5;

/// <summary>Request Response Information, Request Problem Information, and hook refusals as each version sees them.</summary>
public sealed class ProblemAndResponseInformationTests : BrokerTestBase
{
    /// <summary>Refuses publications under "deny/" with a reason string, clients named "banned*", and subscriptions under "secret/".</summary>
    private sealed class RefusingHook : BrokerHook
    {
        public override ValueTask<bool> OnPublishAsync(PublishContext context, CancellationToken cancellationToken)
        {
            if (context.Topic.StartsWith("deny/", StringComparison.Ordinal))
            {
                context.ReasonString = "nope";
                return ValueTask.FromResult(false);
            }

            return ValueTask.FromResult(true);
        }

        public override ValueTask<MqttReasonCode> OnConnectAsync(ConnectContext context, CancellationToken cancellationToken) =>
            ValueTask.FromResult(context.Client.ClientId.StartsWith("banned", StringComparison.Ordinal) ? MqttReasonCode.Banned : MqttReasonCode.Success);

        public override ValueTask<MqttReasonCode> OnSubscribeAsync(SubscribeContext context, CancellationToken cancellationToken) =>
            ValueTask.FromResult(context.TopicFilter.StartsWith("secret/", StringComparison.Ordinal) ? MqttReasonCode.NotAuthorized : context.Result);
    }

    private static Task<BrokerFixture> HookedBrokerAsync() => BrokerFixture.StartAsync([new RefusingHook()]);

    [Fact]
    public async Task RequestResponseInformation1_ConnAckCarriesResponseInformation_MQTT_3_1_2_28()
    {
        string id = Id("rri");
        var client = MqttNet.Create();
        await using var _ = client;
        var result = await client.Client.ConnectAsync(MqttNet.Options(Broker, id, MqttProtocolVersion.V500).WithRequestResponseInformation(true).Build());
        Assert.Equal($"responses/{id}", result.ResponseInformation);
    }

    [Fact]
    public async Task RequestResponseInformation0_NoResponseInformation_MQTT_3_1_2_28()
    {
        var (raw, connack) = await V5Raw.ConnectAsync(Broker, Id("rri0"), new MqttProperties { RequestResponseInformation = 0 });
        await using var _ = raw;
        Assert.Null(connack.Properties?.ResponseInformation);
    }

    [Fact]
    public async Task RefusedPublish_RequestProblemInformation0_PubAck0x87_WithoutReasonString_MQTT_3_1_2_29()
    {
        await using var broker = await HookedBrokerAsync();
        var client = await MqttNet.ConnectAsync(broker, Id("rpi0"), MqttProtocolVersion.V500, configure: o => o.WithRequestProblemInformation(false));
        await using var _ = client;
        var result = await client.PublishAsync("deny/x", "x", MqttQualityOfServiceLevel.AtLeastOnce);
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, result.ReasonCode);
        Assert.True(string.IsNullOrEmpty(result.ReasonString), $"reason string sent: {result.ReasonString}");

        // The same on the wire.
        var (raw, _) = await V5Raw.ConnectAsync(broker, Id("rpi0raw"), new MqttProperties { RequestProblemInformation = 0 });
        await using var _r = raw;
        await raw.SendAsync(new PublishPacket { Topic = "deny/y", Payload = "y"u8.ToArray(), QoS = MqttQualityOfService.AtLeastOnce, PacketId = 1 });
        var puback = await V5Raw.ReceiveAsync<PubAckPacket>(raw);
        Assert.Equal(MqttReasonCode.NotAuthorized, puback.ReasonCode);
        Assert.Null(puback.Properties?.ReasonString);
    }

    [Fact]
    public async Task RefusedPublish_RequestProblemInformationDefault_GetsReasonString()
    {
        await using var broker = await HookedBrokerAsync();
        var client = await MqttNet.ConnectAsync(broker, Id("rpi1"), MqttProtocolVersion.V500);
        await using var _ = client;
        var result = await client.PublishAsync("deny/x", "x", MqttQualityOfServiceLevel.AtLeastOnce);
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, result.ReasonCode);
        Assert.Equal("nope", result.ReasonString);
        var allowed = await client.PublishAsync("allow/x", "x", MqttQualityOfServiceLevel.AtLeastOnce);
        Assert.True(allowed.IsSuccess);
    }

    [Fact]
    public async Task ConnectHookBanned_V5ConnAck0x8A_V311ReturnCode5()
    {
        await using var broker = await HookedBrokerAsync();
        var (v5, connack5) = await RawClient.ConnectAsync(broker.Port, V5Raw.Connect(Id("banned5")));
        await using var _5 = v5;
        Assert.Equal(MqttReasonCode.Banned, connack5.ReasonCode);
        Assert.False(connack5.SessionPresent);
        Assert.True(await v5.WaitForCloseAsync(V5Raw.Wait));

        // 3.1.1: the wire bytes are 20 02 00 05 (not authorized, the nearest 3.1.1 return code).
        using var socket = new System.Net.Sockets.TcpClient();
        await socket.ConnectAsync(broker.Host, broker.Port);
        var stream = socket.GetStream();
        var connect = new System.Buffers.ArrayBufferWriter<byte>();
        MqttPacketWriter.Write(new ConnectPacket { ClientId = Id("banned3"), KeepAlive = 60 }, Starling.Mqtt.MqttProtocolVersion.V311, connect);
        await stream.WriteAsync(connect.WrittenMemory);
        var buffer = new byte[4];
        int read = 0;
        while (read < 4)
        {
            int n = await stream.ReadAsync(buffer.AsMemory(read));
            Assert.NotEqual(0, n);
            read += n;
        }

        Assert.Equal(new byte[] { 0x20, 0x02, 0x00, 0x05 }, buffer);
    }

    [Fact]
    public async Task SubscribeHookRefusal_V5SubAck0x87_V311SubAck0x80()
    {
        await using var broker = await HookedBrokerAsync();
        var (v5, _) = await V5Raw.ConnectAsync(broker, Id("sub5"));
        await using var _5 = v5;
        var suback5 = await V5Raw.SubscribeAsync(v5, "secret/x", MqttQualityOfService.AtLeastOnce);
        Assert.Equal([MqttReasonCode.NotAuthorized], suback5.ReasonCodes);

        var (v3, _) = await RawClient.ConnectAsync(broker.Port, new ConnectPacket { ClientId = Id("sub3"), KeepAlive = 60 });
        await using var _3 = v3;
        await v3.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription { TopicFilter = "secret/x", QoS = MqttQualityOfService.AtLeastOnce }] });
        var suback3 = await V5Raw.ReceiveAsync<SubAckPacket>(v3);
        Assert.Equal([(MqttReasonCode)0x80], suback3.ReasonCodes); // 3.1.1 has only 0x80 Failure [MQTT-3.9.3-2]
    }
}

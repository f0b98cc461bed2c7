using Starling.Interop.Tests.Infrastructure;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Interop.Tests.V5;

/// <summary>A broker without retain and with Maximum QoS 1 refuses what it cannot honour: retained PUBLISH (0x9A), retained or QoS 2 wills (CONNACK 0x9A / 0x9B).</summary>
public sealed class RetainAndQoSRefusalTests : BrokerTestBase
{
    protected override string[] Settings =>
    [
        "--Starling:MaximumQoS=1",
        "--Starling:RetainAvailable=false",
    ];

    [Fact]
    public async Task RetainedPublish_WhenRetainUnavailable_IsDisconnect0x9A()
    {
        // Section 3.3.1.3: a PUBLISH with RETAIN 1 after Retain Available 0 is answered with DISCONNECT 0x9A (section 4.13).
        var (raw, _) = await V5Raw.ConnectAsync(Broker, Id("ret9a"));
        await using var _r = raw;
        await raw.SendAsync(new PublishPacket { Topic = "rb/ret", Payload = "x"u8.ToArray(), QoS = MqttQualityOfService.AtLeastOnce, PacketId = 1, Retain = true });
        await V5Raw.ExpectDisconnectAsync(raw, MqttReasonCode.RetainNotSupported);
    }

    [Fact]
    public async Task WillRetain_WhenRetainUnavailable_IsConnAck0x9A_MQTT_3_2_2_13()
    {
        var will = new MqttWill { Topic = "rb/will", Payload = "w"u8.ToArray(), Retain = true };
        var (raw, connack) = await RawClient.ConnectAsync(Broker.Port, V5Raw.Connect(Id("willret"), will: will));
        await using var _r = raw;
        Assert.Equal(MqttReasonCode.RetainNotSupported, connack.ReasonCode);
        Assert.True(await raw.WaitForCloseAsync(V5Raw.Wait));
    }

    [Fact]
    public async Task WillQoS2_AboveMaximumQoS_IsConnAck0x9B_MQTT_3_2_2_12()
    {
        var will = new MqttWill { Topic = "rb/will", Payload = "w"u8.ToArray(), QoS = MqttQualityOfService.ExactlyOnce };
        var (raw, connack) = await RawClient.ConnectAsync(Broker.Port, V5Raw.Connect(Id("willq2"), will: will));
        await using var _r = raw;
        Assert.Equal(MqttReasonCode.QoSNotSupported, connack.ReasonCode);
        Assert.True(await raw.WaitForCloseAsync(V5Raw.Wait));
    }
}

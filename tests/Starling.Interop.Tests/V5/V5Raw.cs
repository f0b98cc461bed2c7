using Starling.Interop.Tests.Infrastructure;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Interop.Tests.V5;

/// <summary>Shorthands for MQTT 5.0 exchanges over <see cref="RawClient"/>, where the wire itself is under test.</summary>
internal static class V5Raw
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    public static ConnectPacket Connect(string clientId, MqttProperties? properties = null, bool cleanStart = true, MqttWill? will = null, ushort keepAlive = 60) => new()
    {
        ProtocolVersion = MqttProtocolVersion.V500,
        ClientId = clientId,
        CleanSession = cleanStart,
        KeepAlive = keepAlive,
        Properties = properties,
        Will = will,
    };

    /// <summary>Connects a 5.0 raw client and checks the CONNACK is a success.</summary>
    public static async Task<(RawClient Client, ConnAckPacket ConnAck)> ConnectAsync(BrokerFixture broker, string clientId, MqttProperties? properties = null, bool cleanStart = true, MqttWill? will = null)
    {
        var (client, connack) = await RawClient.ConnectAsync(broker.Port, Connect(clientId, properties, cleanStart, will));
        Assert.Equal(MqttReasonCode.Success, connack.ReasonCode);
        return (client, connack);
    }

    public static async Task<SubAckPacket> SubscribeAsync(RawClient client, string filter, MqttQualityOfService qos, uint? subscriptionId = null, ushort packetId = 1)
    {
        await client.SendAsync(new SubscribePacket
        {
            PacketId = packetId,
            Subscriptions = [new MqttSubscription { TopicFilter = filter, QoS = qos }],
            Properties = subscriptionId is { } id ? new MqttProperties { SubscriptionIdentifiers = [id] } : null,
        });
        var suback = await ReceiveAsync<SubAckPacket>(client);
        Assert.Equal(packetId, suback.PacketId);
        return suback;
    }

    public static async Task<T> ReceiveAsync<T>(RawClient client)
        where T : MqttPacket
    {
        var packet = await client.ReceiveAsync(Wait);
        Assert.NotNull(packet);
        return Assert.IsType<T>(packet);
    }

    /// <summary>Expects the broker's next packet to be DISCONNECT with <paramref name="code"/>, then the connection to close.</summary>
    public static async Task ExpectDisconnectAsync(RawClient client, MqttReasonCode code)
    {
        var disconnect = await ReceiveAsync<DisconnectPacket>(client);
        Assert.Equal(code, disconnect.ReasonCode);
        Assert.True(await client.WaitForCloseAsync(Wait), "the broker did not close the connection after DISCONNECT");
    }

    /// <summary>
    /// Sends PINGREQ and expects PINGRESP as the very next packet: whatever the broker had written before is
    /// ahead of it, so this proves nothing else was sent, without waiting on a timeout.
    /// </summary>
    public static async Task ExpectOnlyPingRespAsync(RawClient client)
    {
        await client.SendAsync(PingReqPacket.Instance);
        await ReceiveAsync<PingRespPacket>(client);
    }

    public static string Text(ReadOnlyMemory<byte> payload) => System.Text.Encoding.UTF8.GetString(payload.Span);
}

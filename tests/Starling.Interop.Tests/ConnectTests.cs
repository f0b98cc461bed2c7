using MQTTnet;
using MQTTnet.Formatter;
using Starling.Interop.Tests.Infrastructure;
using Starling.Mqtt;
using Starling.Mqtt.Packets;
using MqttProtocolVersion = MQTTnet.Formatter.MqttProtocolVersion;

namespace Starling.Interop.Tests;

/// <summary>CONNECT rules: protocol level, client ids, takeover, keep-alive, CONNECT timeout, packet order.</summary>
public sealed class ConnectTests : BrokerTestBase
{
    protected override string[] Settings => ["--Starling:ConnectTimeoutSeconds=1"];

    [Theory]
    [InlineData(new byte[] { 0x10, 0x0C, 0x00, 0x04, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 0x06, 0x02, 0x00, 0x3C, 0x00, 0x00 })] // level 6
    [InlineData(new byte[] { 0x10, 0x0C, 0x00, 0x04, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 0x03, 0x02, 0x00, 0x3C, 0x00, 0x00 })] // "MQTT" with 3.1's level
    public async Task UnsupportedProtocolLevel_GetsConnAck0x01_ThenClose_MQTT_3_1_2_2(byte[] connect)
    {
        await using var raw = await RawClient.ConnectAsync(Broker.Port);
        await raw.SendRawAsync(connect);
        var connack = Assert.IsType<ConnAckPacket>(await raw.ReceiveAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(MqttReasonCode.UnsupportedProtocolVersion, connack.ReasonCode); // 0x01 on the wire, read back through the 3.1.1 mapping
        Assert.True(await raw.WaitForCloseAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task UnsupportedProtocolLevel_WireBytes_Are20020001()
    {
        using var socket = new System.Net.Sockets.TcpClient();
        await socket.ConnectAsync(Broker.Host, Broker.Port);
        var stream = socket.GetStream();
        await stream.WriteAsync(new byte[] { 0x10, 0x0C, 0x00, 0x04, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 0x07, 0x02, 0x00, 0x3C, 0x00, 0x00 });
        var buffer = new byte[16];
        int read = 0;
        while (read < 4)
        {
            int n = await stream.ReadAsync(buffer.AsMemory(read));
            Assert.NotEqual(0, n);
            read += n;
        }

        Assert.Equal(new byte[] { 0x20, 0x02, 0x00, 0x01 }, buffer[..4]);
    }

    [Fact]
    public async Task EmptyClientId_WithCleanSession_IsAssignedOne_MQTT_3_1_3_6()
    {
        var (raw, connack) = await RawClient.ConnectAsync(Broker.Port, new ConnectPacket { ClientId = "", CleanSession = true, KeepAlive = 30 });
        await using var _ = raw;
        Assert.Equal(MqttReasonCode.Success, connack.ReasonCode);
        await raw.SendAsync(PingReqPacket.Instance);
        Assert.IsType<PingRespPacket>(await raw.ReceiveAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task EmptyClientId_WithoutCleanSession_GetsConnAck0x02_MQTT_3_1_3_8()
    {
        var (raw, connack) = await RawClient.ConnectAsync(Broker.Port, new ConnectPacket { ClientId = "", CleanSession = false, KeepAlive = 30 });
        await using var _ = raw;
        Assert.Equal(MqttReasonCode.ClientIdentifierNotValid, connack.ReasonCode);
        Assert.False(connack.SessionPresent);
        Assert.True(await raw.WaitForCloseAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task EmptyClientId_V5_IsAssigned_AndReturned()
    {
        var (raw, connack) = await RawClient.ConnectAsync(Broker.Port, new ConnectPacket { ProtocolVersion = Starling.Mqtt.MqttProtocolVersion.V500, ClientId = "", CleanSession = false, KeepAlive = 30 });
        await using var _ = raw;
        Assert.Equal(MqttReasonCode.Success, connack.ReasonCode);
        Assert.False(string.IsNullOrEmpty(connack.Properties?.AssignedClientIdentifier));
    }

    [Fact]
    public async Task SecondConnection_TakesOver_TheFirstIsClosed_MQTT_3_1_4_2()
    {
        string id = Id("twin");
        await using var first = await MqttNet.ConnectAsync(Broker, id, MqttProtocolVersion.V500);
        await using var second = await MqttNet.ConnectAsync(Broker, id, MqttProtocolVersion.V500);
        var disconnected = await first.Disconnected.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(MqttClientDisconnectReason.SessionTakenOver, disconnected.Reason); // 5.0: DISCONNECT 0x8E
        Assert.True(second.Client.IsConnected);
        Assert.True(await second.Client.TryPingAsync());
    }

    [Fact]
    public async Task SecondConnection_TakesOver_V311()
    {
        string id = Id("twin311");
        var (first, _) = await RawClient.ConnectAsync(Broker.Port, new ConnectPacket { ClientId = id, KeepAlive = 60 });
        await using var _1 = first;
        var (second, connack) = await RawClient.ConnectAsync(Broker.Port, new ConnectPacket { ClientId = id, KeepAlive = 60 });
        await using var _2 = second;
        Assert.Equal(MqttReasonCode.Success, connack.ReasonCode);
        Assert.True(await first.WaitForCloseAsync(TimeSpan.FromSeconds(5)));
        await second.SendAsync(PingReqPacket.Instance);
        Assert.IsType<PingRespPacket>(await second.ReceiveAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task KeepAlive_Expired_ClosesConnection_AndPublishesWill_MQTT_3_1_2_24()
    {
        await using var watcher = await MqttNet.ConnectAsync(Broker, Id("watch"));
        await watcher.SubscribeAsync("ka/will", MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce);
        var connect = new ConnectPacket
        {
            ClientId = Id("silent"),
            KeepAlive = 1,
            Will = new MqttWill { Topic = "ka/will", Payload = "timeout"u8.ToArray() },
        };
        var (raw, _) = await RawClient.ConnectAsync(Broker.Port, connect);
        await using var _r = raw;
        var started = DateTime.UtcNow;
        Assert.True(await raw.WaitForCloseAsync(TimeSpan.FromSeconds(5)));
        var elapsed = DateTime.UtcNow - started;
        Assert.InRange(elapsed.TotalSeconds, 1.4, 3.5); // 1.5 x keep-alive, checked once a second
        Assert.Equal("timeout", MqttNet.Text(watcher.Next()));
    }

    [Fact]
    public async Task KeepAlive_IsKeptAlive_ByPingReq()
    {
        var (raw, _) = await RawClient.ConnectAsync(Broker.Port, new ConnectPacket { ClientId = Id("pinger"), KeepAlive = 1 });
        await using var _r = raw;
        for (int i = 0; i < 5; i++)
        {
            await Task.Delay(600);
            await raw.SendAsync(PingReqPacket.Instance);
            Assert.IsType<PingRespPacket>(await raw.ReceiveAsync(TimeSpan.FromSeconds(5)));
        }
    }

    [Fact]
    public async Task NoConnect_WithinTimeout_ClosesSocket()
    {
        await using var raw = await RawClient.ConnectAsync(Broker.Port);
        Assert.True(await raw.WaitForCloseAsync(TimeSpan.FromSeconds(4)));
    }

    [Fact]
    public async Task FirstPacket_NotConnect_ClosesConnection_MQTT_3_1_0_1()
    {
        await using var raw = await RawClient.ConnectAsync(Broker.Port);
        await raw.SendAsync(PingReqPacket.Instance);
        Assert.True(await raw.WaitForCloseAsync(TimeSpan.FromSeconds(3)));
    }

    [Fact]
    public async Task SecondConnect_ClosesConnection_MQTT_3_1_0_2()
    {
        var connect = new ConnectPacket { ClientId = Id("double"), KeepAlive = 60 };
        var (raw, _) = await RawClient.ConnectAsync(Broker.Port, connect);
        await using var _r = raw;
        await raw.SendAsync(connect);
        Assert.True(await raw.WaitForCloseAsync(TimeSpan.FromSeconds(3)));
    }

    [Fact]
    public async Task ReservedConnectFlag_ClosesConnection_MQTT_3_1_2_3()
    {
        await using var raw = await RawClient.ConnectAsync(Broker.Port);
        await raw.SendRawAsync(new byte[] { 0x10, 0x0D, 0x00, 0x04, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 0x04, 0x03, 0x00, 0x3C, 0x00, 0x01, (byte)'a' });
        Assert.True(await raw.WaitForCloseAsync(TimeSpan.FromSeconds(3)));
    }

    [Fact]
    public async Task Mqtt31_Client_Connects()
    {
        var (raw, connack) = await RawClient.ConnectAsync(Broker.Port, new ConnectPacket { ProtocolVersion = Starling.Mqtt.MqttProtocolVersion.V310, ClientId = Id("old"), KeepAlive = 60 });
        await using var _ = raw;
        Assert.Equal(MqttReasonCode.Success, connack.ReasonCode);
    }

    [Fact]
    public async Task MqttNet_V310_Connects_AndRoundTrips()
    {
        await using var client = await MqttNet.ConnectAsync(Broker, Id("v310"), MqttProtocolVersion.V310);
        await client.SubscribeAsync("v310/t", MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce);
        await client.PublishAsync("v310/t", "old", MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce);
        Assert.Equal("old", MqttNet.Text(client.Next()));
    }
}

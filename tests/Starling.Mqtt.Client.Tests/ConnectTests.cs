using MQTTnet.Protocol;
using Starling.Mqtt;
using Starling.Mqtt.Client;

namespace Starling.Mqtt.Client.Tests;

public class ConnectTests
{
    [Theory]
    [InlineData(MqttProtocolVersion.V310)]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Connect_returns_a_successful_connack(MqttProtocolVersion version)
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = new MqttClient();

        var connAck = await client.ConnectAsync(broker.Options(version), Timeout.Token);

        Assert.Equal(MqttReasonCode.Success, connAck.ReasonCode);
        Assert.False(connAck.SessionPresent);
        Assert.True(client.IsConnected);
        Assert.Equal(version, client.ProtocolVersion);
        Assert.Single(await broker.Server.GetClientsAsync());
    }

    [Fact]
    public async Task Connect_5_0_carries_connack_properties_and_assigned_client_id()
    {
        await using var broker = await TestBroker.StartAsync(server => server.ValidatingConnectionAsync += e =>
        {
            // MQTTnet refuses an empty client id unless the application assigns one.
            if (string.IsNullOrEmpty(e.ClientId))
            {
                e.AssignedClientIdentifier = "assigned-by-broker";
            }

            return Task.CompletedTask;
        });
        await using var client = new MqttClient();
        var options = broker.Options(MqttProtocolVersion.V500, clientId: "");
        options.SessionExpiryInterval = 30;
        options.ReceiveMaximum = 10;

        var connAck = await client.ConnectAsync(options, Timeout.Token);

        Assert.Equal(MqttReasonCode.Success, connAck.ReasonCode);
        Assert.NotNull(connAck.Properties);
        Assert.Equal("assigned-by-broker", connAck.Properties!.AssignedClientIdentifier);
        Assert.Equal("assigned-by-broker", client.ClientId);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Refused_connect_throws_with_the_reason_code(MqttProtocolVersion version)
    {
        await using var broker = await TestBroker.StartAsync(server => server.ValidatingConnectionAsync += e =>
        {
            if (e.UserName != "alice")
            {
                e.ReasonCode = MqttConnectReasonCode.BadUserNameOrPassword;
            }

            return Task.CompletedTask;
        });
        await using var client = new MqttClient();
        var options = broker.Options(version);
        options.Username = "mallory";
        options.Password = "secret"u8.ToArray();

        var ex = await Assert.ThrowsAsync<MqttClientException>(() => client.ConnectAsync(options, Timeout.Token));

        Assert.Equal(MqttReasonCode.BadUserNameOrPassword, ex.ReasonCode);
        Assert.False(client.IsConnected);
    }

    [Fact]
    public async Task Username_and_password_are_sent()
    {
        string? user = null;
        string? password = null;
        await using var broker = await TestBroker.StartAsync(server => server.ValidatingConnectionAsync += e =>
        {
            user = e.UserName;
            password = e.Password;
            return Task.CompletedTask;
        });

        await using var client = await broker.ConnectAsync(configure: o =>
        {
            o.Username = "alice";
            o.Password = "s3cret"u8.ToArray();
        });

        Assert.Equal("alice", user);
        Assert.Equal("s3cret", password);
    }

    [Fact]
    public async Task Connecting_to_a_closed_port_fails()
    {
        var port = 0;
        await using (var broker = await TestBroker.StartAsync())
        {
            port = broker.Port;
        }

        await using var client = new MqttClient();
        await Assert.ThrowsAnyAsync<Exception>(() => client.ConnectAsync(new MqttClientOptions { Host = "127.0.0.1", Port = port }, Timeout.Token));
        Assert.False(client.IsConnected);
    }

    [Fact]
    public async Task A_client_connects_only_once()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();

        await Assert.ThrowsAsync<InvalidOperationException>(() => client.ConnectAsync(broker.Options(), Timeout.Token));
        Assert.True(client.IsConnected);
    }

    [Fact]
    public async Task Stream_factory_replaces_the_default_tcp_connection()
    {
        await using var broker = await TestBroker.StartAsync();
        var opened = 0;
        var options = broker.Options(MqttProtocolVersion.V500);
        options.Host = "nowhere.invalid";
        options.StreamFactory = async ct =>
        {
            Interlocked.Increment(ref opened);
            var tcp = new System.Net.Sockets.TcpClient();
            await tcp.ConnectAsync("127.0.0.1", broker.Port, ct);
            return tcp.GetStream();
        };
        await using var client = new MqttClient();

        await client.ConnectAsync(options, Timeout.Token);
        await client.PingAsync(Timeout.Token);

        Assert.Equal(1, opened);
    }

    [Fact]
    public async Task Open_then_raw_connect_packet_is_answered()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = new MqttClient();
        var received = new TaskCompletionSource<Starling.Mqtt.Packets.MqttPacket>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.PacketReceived += p => received.TrySetResult(p);
        var options = broker.Options();

        await client.OpenAsync(options, Timeout.Token);
        await client.SendPacketAsync(options.CreateConnectPacket(), Timeout.Token);

        var connAck = Assert.IsType<Starling.Mqtt.Packets.ConnAckPacket>(await received.Task.WaitAsync(Timeout.Token));
        Assert.Equal(MqttReasonCode.Success, connAck.ReasonCode);
        Assert.False(client.IsConnected); // the handshake was not ConnectAsync's
    }
}

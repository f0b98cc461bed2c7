using System.Text;
using Starling.Mqtt;
using Starling.Mqtt.Client;
using Starling.Mqtt.Packets;

namespace Starling.Mqtt.Client.Tests;

public class LifecycleTests
{
    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Will_is_published_when_the_client_aborts(MqttProtocolVersion version)
    {
        await using var broker = await TestBroker.StartAsync();
        await using var watcher = await broker.ConnectAsync(version);
        await watcher.SubscribeAsync("wills/#", MqttQualityOfService.AtLeastOnce, cancellationToken: Timeout.Token);

        var dying = await broker.ConnectAsync(version, configure: o => o.Will = new MqttWill
        {
            Topic = "wills/dying",
            Payload = "gone"u8.ToArray(),
            QoS = MqttQualityOfService.AtLeastOnce,
        });
        await dying.AbortAsync();

        var will = await watcher.ReadAsync(Timeout.Token);
        Assert.Equal("wills/dying", will.Topic);
        Assert.Equal("gone", Encoding.UTF8.GetString(will.Payload.Span));
        Assert.Equal(MqttDisconnectSource.Aborted, (await dying.Completion).Source);
    }

    [Fact]
    public async Task Will_is_not_published_after_a_normal_disconnect()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var watcher = await broker.ConnectAsync();
        await watcher.SubscribeAsync("wills/#", MqttQualityOfService.AtLeastOnce, cancellationToken: Timeout.Token);

        var leaving = await broker.ConnectAsync(configure: o => o.Will = new MqttWill { Topic = "wills/leaving", Payload = "gone"u8.ToArray() });
        await leaving.DisconnectAsync(cancellationToken: Timeout.Token);
        await watcher.PublishAsync("wills/marker", "m", MqttQualityOfService.AtLeastOnce, cancellationToken: Timeout.Token);

        Assert.Equal("wills/marker", (await watcher.ReadAsync(Timeout.Token)).Topic);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Ping_gets_a_response(MqttProtocolVersion version)
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync(version);

        await client.PingAsync(Timeout.Token);
        await Task.WhenAll(client.PingAsync(Timeout.Token), client.PingAsync(Timeout.Token));

        Assert.True(client.IsConnected);
    }

    [Fact]
    public async Task Keep_alive_sends_pings_when_idle()
    {
        await using var broker = await TestBroker.StartAsync();
        var pings = 0;
        await using var client = new MqttClient();
        client.PacketReceived += p =>
        {
            if (p is PingRespPacket)
            {
                Interlocked.Increment(ref pings);
            }
        };
        var options = broker.Options();
        options.KeepAlive = TimeSpan.FromSeconds(1);
        await client.ConnectAsync(options, Timeout.Token);

        // Two pings need at least two idle intervals; the deadline leaves room for a loaded
        // machine's timer slip, while a client that never pings still fails.
        var started = Environment.TickCount64;
        while (Volatile.Read(ref pings) < 2 && Environment.TickCount64 - started < 8_000)
        {
            await Task.Delay(50);
        }

        Assert.True(Volatile.Read(ref pings) >= 2, $"only {pings} PINGRESP in 8 s");
        Assert.True(Environment.TickCount64 - started >= 1_500, "pinged before the connection was idle for the keep-alive interval");
        Assert.True(client.IsConnected);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Disconnect_ends_the_session_cleanly(MqttProtocolVersion version)
    {
        var disconnected = new TaskCompletionSource<MQTTnet.Server.MqttClientDisconnectType>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var broker = await TestBroker.StartAsync(server => server.ClientDisconnectedAsync += e =>
        {
            disconnected.TrySetResult(e.DisconnectType);
            return Task.CompletedTask;
        });
        var client = await broker.ConnectAsync(version);
        MqttClientDisconnectedEventArgs? raised = null;
        client.Disconnected += (_, e) => raised = e;

        await client.DisconnectAsync(cancellationToken: Timeout.Token);

        Assert.Equal(MQTTnet.Server.MqttClientDisconnectType.Clean, await disconnected.Task.WaitAsync(Timeout.Token));
        var completion = await client.Completion.WaitAsync(Timeout.Token);
        Assert.Equal(MqttDisconnectSource.Client, completion.Source);
        Assert.Same(completion, raised);
        Assert.False(client.IsConnected);
        await Assert.ThrowsAsync<MqttClientException>(() => client.PublishAsync("t", "x"));
        await client.DisposeAsync();
    }

    [Fact]
    public async Task Dispose_without_disconnect_is_an_unclean_close()
    {
        var disconnected = new TaskCompletionSource<MQTTnet.Server.MqttClientDisconnectType>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var broker = await TestBroker.StartAsync(server => server.ClientDisconnectedAsync += e =>
        {
            disconnected.TrySetResult(e.DisconnectType);
            return Task.CompletedTask;
        });
        var client = await broker.ConnectAsync();

        await client.DisposeAsync();

        Assert.Equal(MQTTnet.Server.MqttClientDisconnectType.NotClean, await disconnected.Task.WaitAsync(Timeout.Token));
        Assert.Equal(MqttDisconnectSource.Aborted, (await client.Completion).Source);
    }

    [Fact]
    public async Task Broker_stopping_is_reported_and_fails_waiters()
    {
        var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync(MqttProtocolVersion.V500);
        var reading = client.ReadAsync(Timeout.Token).AsTask();

        await broker.DisposeAsync();

        var completion = await client.Completion.WaitAsync(Timeout.Token);
        Assert.Contains(completion.Source, new[] { MqttDisconnectSource.Server, MqttDisconnectSource.ConnectionClosed, MqttDisconnectSource.Error });
        await Assert.ThrowsAnyAsync<Exception>(() => reading);
        Assert.False(client.IsConnected);
    }

    [Fact]
    public async Task Garbage_bytes_make_the_broker_close_the_connection()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var client = await broker.ConnectAsync();

        // A PUBLISH whose remaining length says 5 bytes but whose topic length says 0xFFFF.
        await client.SendRawAsync(new byte[] { 0x30, 0x05, 0xFF, 0xFF, 0x61, 0x62, 0x63 }, Timeout.Token);

        var completion = await client.Completion.WaitAsync(Timeout.Token);
        Assert.NotEqual(MqttDisconnectSource.Client, completion.Source);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Unacknowledged_qos1_message_is_redelivered_to_a_persistent_session(MqttProtocolVersion version)
    {
        await using var broker = await TestBroker.StartAsync(persistentSessions: true);
        await using var publisher = await broker.ConnectAsync(version);
        var first = await broker.ConnectAsync(version, clientId: "persistent", configure: o =>
        {
            o.CleanSession = false;
            o.SessionExpiryInterval = 300;
            o.AutoAcknowledge = false;
        });
        await first.SubscribeAsync("redeliver", MqttQualityOfService.AtLeastOnce, cancellationToken: Timeout.Token);
        await publisher.PublishAsync("redeliver", "once", MqttQualityOfService.AtLeastOnce, cancellationToken: Timeout.Token);
        var original = await first.ReadAsync(Timeout.Token);
        Assert.False(original.Dup);
        await first.AbortAsync();

        await using var second = await broker.ConnectAsync(version, clientId: "persistent", configure: o =>
        {
            o.CleanSession = false;
            o.SessionExpiryInterval = 300;
        });
        Assert.True(second.ConnAck!.SessionPresent, "session present");
        var again = await second.ReadAsync(Timeout.Token);
        Assert.Equal("redeliver", again.Topic);
        Assert.Equal("once", Encoding.UTF8.GetString(again.Payload.Span));
    }
}

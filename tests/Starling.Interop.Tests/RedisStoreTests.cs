using MQTTnet.Protocol;
using Starling.Interop.Tests.Infrastructure;
using Starling.TestSupport;
using MqttProtocolVersion = MQTTnet.Formatter.MqttProtocolVersion;

namespace Starling.Interop.Tests;

/// <summary>The Redis store configured as a user would (Starling:Storage:Type redis), against a real redis-server.</summary>
public sealed class RedisStoreTests
{
    [Fact]
    public async Task RedisStore_KeepsSessionQueueAndRetained_AcrossARestart_MQTT_4_1_0_1()
    {
        using var redis = RedisServer.Start();
        string[] settings = ["--Starling:Storage:Type=redis", $"--Starling:Storage:Redis:Configuration={redis.Configuration}"];
        var a = await BrokerFixture.StartAsync(null, settings);
        await using (var subscriber = await MqttNet.ConnectAsync(a, "redis-sub", MqttProtocolVersion.V500, cleanSession: false, o => o.WithSessionExpiryInterval(3600)))
        {
            await subscriber.SubscribeAsync("rq/q", MqttQualityOfServiceLevel.ExactlyOnce);
        }

        await Poll.UntilAsync(() => a.Broker.Sessions.TryGet("redis-sub", out var s) && !s.IsConnected);
        foreach (var (payload, qos) in new[] { ("queued-1", "1"), ("queued-2", "2") })
        {
            var (code, _, error) = await Mosquitto.RunAsync("mosquitto_pub", ["-h", a.Host, "-p", a.Port.ToString(), "-V", "mqttv311", "-q", qos, "-t", "rq/q", "-m", payload], TimeSpan.FromSeconds(10));
            Assert.True(code == 0, error);
        }

        var (retainCode, _, retainError) = await Mosquitto.RunAsync("mosquitto_pub", ["-h", a.Host, "-p", a.Port.ToString(), "-q", "1", "-r", "-t", "rq/retained", "-m", "kept"], TimeSpan.FromSeconds(10));
        Assert.True(retainCode == 0, retainError);
        await a.DisposeAsync();

        var b = await BrokerFixture.StartAsync(null, settings);
        try
        {
            await using var again = MqttNet.Create();
            var result = await again.Client.ConnectAsync(MqttNet.Options(b, "redis-sub", MqttProtocolVersion.V500).WithCleanStart(false).WithSessionExpiryInterval(3600).Build());
            Assert.True(result.IsSessionPresent); // [MQTT-3.2.2-2]
            Assert.Equal("queued-1", MqttNet.Text(again.Next()));
            Assert.Equal("queued-2", MqttNet.Text(again.Next()));

            var (code, output, error) = await Mosquitto.RunAsync("mosquitto_sub", ["-h", b.Host, "-p", b.Port.ToString(), "-t", "rq/retained", "-C", "1", "-W", "5", "-v"], TimeSpan.FromSeconds(10));
            Assert.True(code == 0, error);
            Assert.Equal("rq/retained kept", output.Trim());
        }
        finally
        {
            await b.DisposeAsync();
        }
    }

    [Fact]
    public async Task UnreachableRedis_StopsTheStart_NamingTheServer()
    {
        int closed = LocalPorts.Free();
        var error = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => BrokerFixture.StartAsync(null, "--Starling:Storage:Type=redis", $"--Starling:Storage:Redis:Configuration=127.0.0.1:{closed},connectTimeout=1000"));
        Assert.Contains($"127.0.0.1:{closed}", error.Message, StringComparison.Ordinal);
    }
}

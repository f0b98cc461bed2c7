using MQTTnet;
using MQTTnet.Protocol;
using Starling.Interop.Tests.Infrastructure;
using Starling.Storage.Sqlite;
using MqttProtocolVersion = MQTTnet.Formatter.MqttProtocolVersion;

namespace Starling.Interop.Tests;

/// <summary>
/// The default store, configured as a user would (Starling:Storage), across a stop and a start of the broker on the
/// same data directory: real clients (MQTTnet, mosquitto_pub, mosquitto_sub) see their session, queue and retained
/// message again [MQTT-4.1.0-1].
/// </summary>
public sealed class SqliteRestartTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "starling-data-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    private Task<BrokerFixture> StartAsync() =>
        BrokerFixture.StartAsync(null, "--Starling:Storage:Type=sqlite", $"--Starling:Storage:Path={_data}");

    [Fact]
    public async Task SqliteStore_KeepsSessionQueueAndRetained_AcrossARestart_MQTT_4_1_0_1()
    {
        var a = await StartAsync();
        await using (var subscriber = await MqttNet.ConnectAsync(a, "sqlite-sub", MqttProtocolVersion.V500, cleanSession: false, o => o.WithSessionExpiryInterval(3600)))
        {
            await subscriber.SubscribeAsync("sq/q", MqttQualityOfServiceLevel.AtLeastOnce);
        }

        await Poll.UntilAsync(() => a.Broker.Sessions.TryGet("sqlite-sub", out var s) && !s.IsConnected);
        foreach (var (payload, retain) in new[] { ("queued-1", false), ("queued-2", false) })
        {
            var (code, _, error) = await Mosquitto.RunAsync("mosquitto_pub", ["-h", a.Host, "-p", a.Port.ToString(), "-V", "mqttv5", "-q", "1", "-t", "sq/q", "-m", payload], TimeSpan.FromSeconds(10));
            Assert.True(code == 0, error);
        }

        var (retainCode, _, retainError) = await Mosquitto.RunAsync("mosquitto_pub", ["-h", a.Host, "-p", a.Port.ToString(), "-q", "1", "-r", "-t", "sq/retained", "-m", "kept"], TimeSpan.FromSeconds(10));
        Assert.True(retainCode == 0, retainError);
        await a.DisposeAsync();
        Assert.True(File.Exists(Path.Combine(_data, SqliteStoreOptions.FileName)));

        var b = await StartAsync();
        try
        {
            await using var again = MqttNet.Create();
            var result = await again.Client.ConnectAsync(MqttNet.Options(b, "sqlite-sub", MqttProtocolVersion.V500).WithCleanStart(false).WithSessionExpiryInterval(3600).Build());
            Assert.True(result.IsSessionPresent); // [MQTT-3.2.2-2]
            Assert.Equal("queued-1", MqttNet.Text(again.Next()));
            Assert.Equal("queued-2", MqttNet.Text(again.Next()));

            var (code, output, error) = await Mosquitto.RunAsync("mosquitto_sub", ["-h", b.Host, "-p", b.Port.ToString(), "-t", "sq/retained", "-C", "1", "-W", "5", "-v"], TimeSpan.FromSeconds(10));
            Assert.True(code == 0, error);
            Assert.Equal("sq/retained kept", output.Trim());
        }
        finally
        {
            await b.DisposeAsync();
        }
    }

    [Fact]
    public async Task UnreadableStoreFile_StopsTheStart_NamingTheFile()
    {
        Directory.CreateDirectory(_data);
        string file = Path.Combine(_data, SqliteStoreOptions.FileName);
        await File.WriteAllTextAsync(file, new string('#', 4096));
        var error = await Assert.ThrowsAsync<StoreUnreadableException>(StartAsync);
        Assert.Contains(file, error.Message, StringComparison.Ordinal);
    }
}

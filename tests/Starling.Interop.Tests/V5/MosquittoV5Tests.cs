using System.Globalization;
using MQTTnet.Protocol;
using Starling.Interop.Tests.Infrastructure;
using MqttProtocolVersion = MQTTnet.Formatter.MqttProtocolVersion;

namespace Starling.Interop.Tests.V5;

/// <summary>5.0 features through Debian's mosquitto_pub and mosquitto_sub (-V mqttv5 -D ...).</summary>
public sealed class MosquittoV5Tests : BrokerTestBase
{
    private string Port => Broker.Port.ToString(CultureInfo.InvariantCulture);

    private async Task<(int ExitCode, string Output)> RunAsync(string tool, params string[] arguments)
    {
        var (exit, output, error) = await Mosquitto.RunAsync(tool, ["-h", Broker.Host, "-p", Port, "-V", "mqttv5", .. arguments], TimeSpan.FromSeconds(10));
        Assert.True(exit == 0 || tool == "mosquitto_sub", $"{tool} exited {exit}: {error}");
        return (exit, output.Trim());
    }

    [Fact]
    public async Task RetainedMessageExpiry_RemainingIntervalPrinted_AndExpiredIsGone_MQTT_3_3_2_5()
    {
        await RunAsync("mosquitto_pub", "-t", "mq/long", "-m", "long", "-r", "-q", "1", "-D", "publish", "message-expiry-interval", "60");
        await RunAsync("mosquitto_pub", "-t", "mq/short", "-m", "short", "-r", "-q", "1", "-D", "publish", "message-expiry-interval", "1");

        var (_, kept) = await RunAsync("mosquitto_sub", "-t", "mq/long", "-C", "1", "-W", "5", "-F", "%E %p");
        var parts = kept.Split(' ');
        Assert.Equal("long", parts[1]);
        Assert.InRange(int.Parse(parts[0], CultureInfo.InvariantCulture), 55, 60);

        await Task.Delay(TimeSpan.FromSeconds(2));
        var (_, gone) = await RunAsync("mosquitto_sub", "-t", "mq/short", "-C", "1", "-W", "1", "-F", "%p");
        Assert.Equal("", gone);
    }

    [Fact]
    public async Task SessionExpiryInterval_KeepsQueuedQoS1_MQTT_3_1_2_23()
    {
        string id = Id("mosq-sx");
        string[] session = ["-i", id, "-c", "-q", "1", "-t", "mq/sx", "-x", "60"]; // -c -x 60: Clean Start 0, Session Expiry Interval 60
        var (exit, _) = await RunAsync("mosquitto_sub", [.. session, "-E"]); // subscribe, then disconnect
        Assert.Equal(0, exit);
        await WaitForOfflineAsync(Broker, id);

        await using (var publisher = await MqttNet.ConnectAsync(Broker, Id("pub"), MqttProtocolVersion.V500))
        {
            await publisher.PublishAsync("mq/sx", "waited", MqttQualityOfServiceLevel.AtLeastOnce);
        }

        var (_, output) = await RunAsync("mosquitto_sub", [.. session, "-C", "1", "-W", "5", "-F", "%t %p"]);
        Assert.Equal("mq/sx waited", output);
    }

    [Fact]
    public async Task WillDelay_FromKilledMosquittoSub_ComesAfterTheDelay_MQTT_3_1_3_9()
    {
        await using var watcher = await MqttNet.ConnectAsync(Broker, Id("watch"));
        await watcher.SubscribeAsync("mq/will", MqttQualityOfServiceLevel.AtMostOnce);
        string id = Id("mosq-wd");
        using var sub = Mosquitto.StartSub(
        [
            "-h", Broker.Host, "-p", Port, "-V", "mqttv5", "-i", id, "-t", "mq/nothing",
            "--will-topic", "mq/will", "--will-payload", "late",
            "-D", "connect", "session-expiry-interval", "60", "-D", "will", "will-delay-interval", "2",
        ]);
        for (int i = 0; i < 200 && !(Broker.Broker.Sessions.TryGet(id, out var s) && s.IsConnected); i++)
        {
            await Task.Delay(25);
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        sub.Kill();
        Assert.Null(watcher.Next(TimeSpan.FromSeconds(1)));
        var will = watcher.Next(TimeSpan.FromSeconds(3));
        Assert.NotNull(will);
        Assert.Equal("late", MqttNet.Text(will));
        Assert.InRange(clock.Elapsed.TotalSeconds, 1.9, 4.0);
    }
}

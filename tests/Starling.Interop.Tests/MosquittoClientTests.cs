using System.Globalization;
using Starling.Interop.Tests.Infrastructure;

namespace Starling.Interop.Tests;

/// <summary>Debian's mosquitto_pub and mosquitto_sub against the broker, at every QoS, 3.1.1 and 5.0.</summary>
public sealed class MosquittoClientTests : BrokerTestBase
{
    [Theory]
    [InlineData("mqttv311", 0)]
    [InlineData("mqttv311", 1)]
    [InlineData("mqttv311", 2)]
    [InlineData("mqttv5", 0)]
    [InlineData("mqttv5", 1)]
    [InlineData("mqttv5", 2)]
    [InlineData("mqttv31", 1)]
    public async Task PubSub_RoundTrip(string version, int qos)
    {
        string port = Broker.Port.ToString(CultureInfo.InvariantCulture);
        string topic = $"mosq/{version}/{qos}";
        using var sub = Mosquitto.StartSub(["-h", Broker.Host, "-p", port, "-V", version, "-q", qos.ToString(CultureInfo.InvariantCulture), "-t", topic, "-C", "3", "-W", "10", "-v"]);
        await WaitForSubscriptionsAsync(1);

        for (int i = 0; i < 3; i++)
        {
            var (exit, _, error) = await Mosquitto.RunAsync("mosquitto_pub", ["-h", Broker.Host, "-p", port, "-V", version, "-q", qos.ToString(CultureInfo.InvariantCulture), "-t", topic, "-m", $"msg{i}"], TimeSpan.FromSeconds(10));
            Assert.True(exit == 0, error);
        }

        string output = await sub.StandardOutput.ReadToEndAsync();
        await sub.WaitForExitAsync();
        Assert.Equal(0, sub.ExitCode);
        Assert.Equal([$"{topic} msg0", $"{topic} msg1", $"{topic} msg2"], output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Retained_WithMosquittoClients()
    {
        string port = Broker.Port.ToString(CultureInfo.InvariantCulture);
        var (exit, _, error) = await Mosquitto.RunAsync("mosquitto_pub", ["-h", Broker.Host, "-p", port, "-t", "mosq/ret", "-m", "kept", "-r", "-q", "1"], TimeSpan.FromSeconds(10));
        Assert.True(exit == 0, error);
        var (subExit, output, _) = await Mosquitto.RunAsync("mosquitto_sub", ["-h", Broker.Host, "-p", port, "-t", "mosq/ret", "-C", "1", "-W", "5", "-F", "%r %p"], TimeSpan.FromSeconds(10));
        Assert.Equal(0, subExit);
        Assert.Equal("1 kept", output.Trim());
    }

    [Fact]
    public async Task UserProperties_V5_AreForwarded()
    {
        string port = Broker.Port.ToString(CultureInfo.InvariantCulture);
        using var sub = Mosquitto.StartSub(["-h", Broker.Host, "-p", port, "-V", "mqttv5", "-t", "mosq/props", "-C", "1", "-W", "10", "-F", "%p %P"]);
        await WaitForSubscriptionsAsync(1);
        var (exit, _, error) = await Mosquitto.RunAsync("mosquitto_pub", ["-h", Broker.Host, "-p", port, "-V", "mqttv5", "-t", "mosq/props", "-m", "body", "-D", "publish", "user-property", "k1", "v1", "-D", "publish", "user-property", "k2", "v2"], TimeSpan.FromSeconds(10));
        Assert.True(exit == 0, error);
        string output = await sub.StandardOutput.ReadToEndAsync();
        await sub.WaitForExitAsync();
        Assert.Equal("body k1:v1 k2:v2", output.Trim());
    }

    private async Task WaitForSubscriptionsAsync(int count)
    {
        for (int i = 0; i < 200 && Broker.Broker.SubscriptionCount < count; i++)
        {
            await Task.Delay(25);
        }

        Assert.True(Broker.Broker.SubscriptionCount >= count, "mosquitto_sub did not subscribe in time");
    }
}

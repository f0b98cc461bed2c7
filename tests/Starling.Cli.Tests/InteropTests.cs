namespace Starling.Cli.Tests;

/// <summary>starling against Debian's mosquitto_pub / mosquitto_sub, through the in-process broker.</summary>
public sealed class InteropTests(BrokerFixture broker) : IClassFixture<BrokerFixture>
{
    [Theory]
    [InlineData("3.1.1", "mqttv311")]
    [InlineData("5", "mqttv5")]
    public async Task Starling_pub_reaches_mosquitto_sub(string version, string mosquittoVersion)
    {
        var topic = $"interop/{Guid.NewGuid():N}";
        var sub = Cli.RunProcessAsync("mosquitto_sub", ["-h", broker.Host, "-p", broker.Port.ToString(), "-V", mosquittoVersion, "-t", topic, "-C", "1", "-W", "15", "-v", "-q", "1"], TimeSpan.FromSeconds(20));

        // mosquitto_sub has no "subscribed" signal: publish until it has received one and exited.
        while (!sub.IsCompleted)
        {
            var pub = await Cli.RunAsync(["pub", "-h", broker.Host, "-p", broker.Port.ToString(), "-V", version, "-t", topic, "-m", "from starling", "-q", "1"]);
            Assert.True(pub.ExitCode == 0, pub.Error);
            await Task.WhenAny(sub, Task.Delay(200));
        }

        var result = await sub;
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal($"{topic} from starling", result.Output.Trim());
    }

    [Theory]
    [InlineData("3.1.1", "mqttv311")]
    [InlineData("5", "mqttv5")]
    public async Task Mosquitto_pub_reaches_starling_sub(string version, string mosquittoVersion)
    {
        var topic = $"interop/{Guid.NewGuid():N}";
        var sub = await Cli.StartSubAsync(["sub", "-h", broker.Host, "-p", broker.Port.ToString(), "-V", version, "-t", topic, "-C", "1", "-W", "15", "-F", "json", "-q", "2"]);
        string[] v5 = mosquittoVersion == "mqttv5" ? ["-D", "publish", "user-property", "origin", "mosquitto", "-D", "publish", "content-type", "text/plain"] : [];
        var pub = await Cli.RunProcessAsync("mosquitto_pub", ["-h", broker.Host, "-p", broker.Port.ToString(), "-V", mosquittoVersion, "-t", topic, "-m", "from mosquitto", "-q", "2", .. v5], TimeSpan.FromSeconds(15));
        Assert.True(pub.ExitCode == 0, pub.Error);

        var result = await sub;
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("\"payload\":\"from mosquitto\"", result.Output);
        Assert.Contains("\"qos\":2", result.Output);
        if (mosquittoVersion == "mqttv5")
        {
            Assert.Contains("\"contentType\":\"text/plain\"", result.Output);
            Assert.Contains("{\"name\":\"origin\",\"value\":\"mosquitto\"}", result.Output);
        }
    }
}

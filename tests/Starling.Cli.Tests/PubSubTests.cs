using System.Text.Json;

namespace Starling.Cli.Tests;

public sealed class PubSubTests(BrokerFixture broker) : IClassFixture<BrokerFixture>
{
    private string[] Connect(string version) => ["-h", broker.Host, "-p", broker.Port.ToString(), "-V", version];

    [Theory]
    [InlineData("3.1", "0")]
    [InlineData("3.1", "1")]
    [InlineData("3.1", "2")]
    [InlineData("3.1.1", "0")]
    [InlineData("3.1.1", "1")]
    [InlineData("3.1.1", "2")]
    [InlineData("5", "0")]
    [InlineData("5", "1")]
    [InlineData("5", "2")]
    public async Task Pub_reaches_sub_at_each_version_and_qos(string version, string qos)
    {
        var topic = $"t/{Guid.NewGuid():N}";
        var sub = await Cli.StartSubAsync(["sub", .. Connect(version), "-t", topic, "-q", qos, "-C", "2", "-W", "15", "-F", "json"]);
        var pub = await Cli.RunAsync(["pub", .. Connect(version), "-t", topic, "-m", "hello", "-q", qos, "--count", "2", "--interval", "0.05"]);
        Assert.True(pub.ExitCode == 0, pub.Error);

        var result = await sub;
        Assert.True(result.ExitCode == 0, result.Error);
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        foreach (var line in lines)
        {
            using var json = JsonDocument.Parse(line);
            Assert.Equal(topic, json.RootElement.GetProperty("topic").GetString());
            Assert.Equal("hello", json.RootElement.GetProperty("payload").GetString());
            Assert.Equal(int.Parse(qos), json.RootElement.GetProperty("qos").GetInt32());
        }
    }

    [Fact]
    public async Task V5_properties_are_visible_in_json_output()
    {
        var topic = $"props/{Guid.NewGuid():N}";
        var sub = await Cli.StartSubAsync(["sub", .. Connect("5"), "-t", "props/#", "-C", "1", "-W", "15", "-F", "json", "--subscription-id", "42", "-q", "1"]);
        var pub = await Cli.RunAsync(["pub", .. Connect("5"), "-t", topic, "-m", "{\"v\":1}", "-q", "1",
            "-D", "site=lab", "-D", "unit=°C", "--content-type", "application/json", "--response-topic", "reply/here",
            "--correlation-data", "req-7", "-e", "300", "--payload-utf8"]);
        Assert.True(pub.ExitCode == 0, pub.Error);

        var result = await sub;
        Assert.True(result.ExitCode == 0, result.Error);
        using var json = JsonDocument.Parse(result.Output);
        var root = json.RootElement;
        Assert.Equal("{\"v\":1}", root.GetProperty("payload").GetString());
        var properties = root.GetProperty("properties");
        Assert.Equal("application/json", properties.GetProperty("contentType").GetString());
        Assert.Equal("reply/here", properties.GetProperty("responseTopic").GetString());
        Assert.Equal("req-7", properties.GetProperty("correlationData").GetString());
        Assert.InRange(properties.GetProperty("messageExpiryInterval").GetInt64(), 290, 300);
        Assert.Equal(1, properties.GetProperty("payloadFormatIndicator").GetInt32());
        Assert.Equal(42, properties.GetProperty("subscriptionIdentifiers")[0].GetInt32());
        var userProperties = properties.GetProperty("userProperties").EnumerateArray().Select(p => (p.GetProperty("name").GetString(), p.GetProperty("value").GetString())).ToList();
        Assert.Equal([("site", "lab"), ("unit", "°C")], userProperties);
    }

    [Fact]
    public async Task Retained_message_reaches_a_later_subscriber_with_the_retain_flag()
    {
        var topic = $"retained/{Guid.NewGuid():N}";
        var pub = await Cli.RunAsync(["pub", .. Connect("3.1.1"), "-t", topic, "-m", "kept", "-r", "-q", "1"]);
        Assert.True(pub.ExitCode == 0, pub.Error);

        var sub = await Cli.RunAsync(["sub", .. Connect("5"), "-t", topic, "-C", "1", "-W", "10", "-F", "json"]);
        Assert.True(sub.ExitCode == 0, sub.Error);
        using var json = JsonDocument.Parse(sub.Output);
        Assert.True(json.RootElement.GetProperty("retain").GetBoolean());
        Assert.Equal("kept", json.RootElement.GetProperty("payload").GetString());

        var skipped = await Cli.RunAsync(["sub", .. Connect("3.1.1"), "-t", topic, "-R", "-W", "0.5"]);
        Assert.Equal(0, skipped.ExitCode);
        Assert.Equal("", skipped.Output);
    }

    [Fact]
    public async Task Topic_format_stdin_lines_file_and_binary_payloads()
    {
        var topic = $"lines/{Guid.NewGuid():N}";
        var sub = await Cli.StartSubAsync(["sub", .. Connect("5"), "-t", topic, "-v", "-C", "3", "-W", "15"]);
        var pub = await Cli.RunAsync(["pub", .. Connect("5"), "-t", topic, "-l", "-q", "1"], stdin: "one\ntwo\nthree\n");
        Assert.True(pub.ExitCode == 0, pub.Error);
        var result = await sub;
        Assert.Equal($"{topic} one\n{topic} two\n{topic} three\n", result.Output.ReplaceLineEndings("\n"));

        var file = Path.GetTempFileName();
        await File.WriteAllBytesAsync(file, [0xff, 0x00, 0x01]);
        var binary = await Cli.StartSubAsync(["sub", .. Connect("3.1.1"), "-t", topic, "-F", "json", "-C", "1", "-W", "15"]);
        Assert.Equal(0, (await Cli.RunAsync(["pub", .. Connect("3.1.1"), "-t", topic, "-f", file])).ExitCode);
        using var json = JsonDocument.Parse((await binary).Output);
        Assert.Equal("/wAB", json.RootElement.GetProperty("payloadBase64").GetString());
        File.Delete(file);
    }

    [Fact]
    public async Task Sub_timeout_before_count_exits_5()
    {
        var result = await Cli.RunAsync(["sub", .. Connect("3.1.1"), "-t", $"quiet/{Guid.NewGuid():N}", "-C", "1", "-W", "0.3"]);
        Assert.Equal(ExitCodes.Incomplete, result.ExitCode);
        Assert.Contains("timed out", result.Error);
    }

    [Fact]
    public async Task Topic_alias_above_the_brokers_maximum_exits_4()
    {
        var result = await Cli.RunAsync(["pub", .. Connect("5"), "-t", "alias/x", "-m", "y", "--topic-alias", "65535"]);
        Assert.Equal(ExitCodes.Refused, result.ExitCode);
        Assert.Contains("topic aliases up to", result.Error);
    }

    [Fact]
    public async Task Topic_alias_repeats_send_only_the_alias()
    {
        var topic = $"alias/{Guid.NewGuid():N}";
        var sub = await Cli.StartSubAsync(["sub", .. Connect("5"), "-t", topic, "-v", "-C", "3", "-W", "15"]);
        var pub = await Cli.RunAsync(["pub", .. Connect("5"), "-t", topic, "-m", "a", "--topic-alias", "1", "--count", "3", "-q", "1"]);
        Assert.True(pub.ExitCode == 0, pub.Error);
        Assert.Equal(string.Concat(Enumerable.Repeat($"{topic} a\n", 3)), (await sub).Output.ReplaceLineEndings("\n"));
    }
}

using System.Text.Json;

namespace Starling.Cli.Tests;

public sealed class BenchTests(BrokerFixture broker) : IClassFixture<BrokerFixture>
{
    [Theory]
    [InlineData("p2p", "0", "3.1.1")]
    [InlineData("p2p", "1", "5")]
    [InlineData("p2p", "2", "3.1.1")]
    [InlineData("fanin", "0", "5")]
    [InlineData("fanout", "1", "3.1.1")]
    public async Task Bench_smoke_run_shows_zero_loss(string scenario, string qos, string version)
    {
        var result = await Cli.RunAsync(["bench", scenario, "-h", broker.Host, "-p", broker.Port.ToString(), "-c", "3", "-q", qos, "-V", version,
            "--duration", "1", "--warmup", "0.2", "--rate", "2000", "--json", "--quiet", "-t", $"b{Guid.NewGuid():N}/%i"]);
        Assert.True(result.ExitCode == 0, result.Error);
        using var json = JsonDocument.Parse(result.Output);
        var root = json.RootElement;
        Assert.Equal(scenario, root.GetProperty("scenario").GetString());
        var sent = root.GetProperty("sent").GetInt64();
        var fanout = scenario == "fanout" ? 3 : 1;
        Assert.True(sent > 100, result.Output);
        Assert.Equal(sent * fanout, root.GetProperty("received").GetInt64());
        Assert.Equal(0, root.GetProperty("lost").GetInt64());
        Assert.Equal(0, root.GetProperty("duplicated").GetInt64());
        Assert.Equal(0, root.GetProperty("outOfOrder").GetInt64());
        Assert.Equal(0, root.GetProperty("errors").GetInt64());
        Assert.True(root.GetProperty("throughput").GetDouble() > 0);
        var latency = root.GetProperty("latencyUs");
        Assert.True(latency.GetProperty("p50").GetDouble() > 0);
        Assert.True(latency.GetProperty("max").GetDouble() >= latency.GetProperty("p99").GetDouble());
    }

    [Fact]
    public async Task Fanout_with_a_stalled_subscriber_delivers_everything_to_the_others()
    {
        // 64 KB payloads fill the stalled client's socket and then the broker's send buffer for it within the run,
        // so the broker must drop for it rather than hold up the live subscribers or the publisher.
        var result = await Cli.RunAsync(["bench", "fanout", "-h", broker.Host, "-p", broker.Port.ToString(), "-c", "3", "--stalled", "1", "-q", "0",
            "--size", "65536", "--duration", "2", "--warmup", "0.2", "--rate", "200", "--json", "--quiet", "-t", $"b{Guid.NewGuid():N}"]);
        Assert.True(result.ExitCode == 0, result.Error);
        using var json = JsonDocument.Parse(result.Output);
        var root = json.RootElement;
        var sent = root.GetProperty("sent").GetInt64();
        Assert.True(sent > 300, result.Output);
        Assert.Equal(3, root.GetProperty("subscribers").GetInt32());
        Assert.Equal(1, root.GetProperty("stalled").GetInt32());
        Assert.Equal(sent * 3, root.GetProperty("received").GetInt64());
        Assert.Equal(0, root.GetProperty("lost").GetInt64());
        Assert.Equal(0, root.GetProperty("errors").GetInt64());
        // Well under the broker's 30 s SendTimeoutSeconds: the stalled client is still connected.
        Assert.Equal(0, root.GetProperty("stalledDisconnected").GetInt32());
    }

    [Fact]
    public async Task Stalled_needs_subscribers()
    {
        var result = await Cli.RunAsync(["bench", "pub", "-h", broker.Host, "-p", broker.Port.ToString(), "--stalled", "1", "--duration", "0.2"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--stalled", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Conn_opens_every_connection()
    {
        var result = await Cli.RunAsync(["bench", "conn", "-h", broker.Host, "-p", broker.Port.ToString(), "-c", "50", "--rate", "500", "--duration", "0.2", "--json", "--quiet"]);
        Assert.True(result.ExitCode == 0, result.Error);
        using var json = JsonDocument.Parse(result.Output);
        Assert.Equal(50, json.RootElement.GetProperty("connections").GetInt32());
        Assert.Equal(0, json.RootElement.GetProperty("errors").GetInt32());
        Assert.True(json.RootElement.GetProperty("connectUs").GetProperty("p50").GetDouble() > 0);
    }
}

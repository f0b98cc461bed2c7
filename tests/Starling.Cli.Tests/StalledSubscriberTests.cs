using System.Text.Json;

namespace Starling.Cli.Tests;

/// <summary>`bench --stalled` against a broker that disconnects clients whose socket stays unwritable for 1 s.</summary>
public sealed class StalledSubscriberTests(ShortSendTimeoutBrokerFixture broker) : IClassFixture<ShortSendTimeoutBrokerFixture>
{
    [Fact]
    public async Task Broker_disconnects_the_stalled_subscriber_after_its_send_timeout_and_the_bench_reports_it()
    {
        // 64 KB at 200/s blocks the stalled socket within the first second; the run lasts well past the 1 s timeout.
        // A window of 16 (1 MiB outstanding) stays under the broker's 4 MiB send buffer, so a healthy reader that
        // the OS deschedules on a busy machine makes the publisher wait instead of having its QoS 0 copies dropped.
        var result = await Cli.RunAsync(["bench", "fanout", "-h", broker.Host, "-p", broker.Port.ToString(), "-c", "2", "--stalled", "1", "-q", "0",
            "--size", "65536", "--duration", "4", "--warmup", "0.2", "--rate", "200", "-w", "16", "--json", "--quiet", "-t", $"b{Guid.NewGuid():N}"]);
        Assert.True(result.ExitCode == 0, result.Error);
        using var json = JsonDocument.Parse(result.Output);
        var root = json.RootElement;
        Assert.Equal(1, root.GetProperty("stalledDisconnected").GetInt32());
        Assert.Equal(root.GetProperty("sent").GetInt64() * 2, root.GetProperty("received").GetInt64());
        Assert.Equal(0, root.GetProperty("lost").GetInt64());
    }
}

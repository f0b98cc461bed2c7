using MQTTnet;
using MQTTnet.Protocol;
using Starling.Interop.Tests.Infrastructure;
using MqttProtocolVersion = MQTTnet.Formatter.MqttProtocolVersion;

namespace Starling.Interop.Tests.Crash;

/// <summary>
/// A store that cannot take more (here the SQLite file's size cap, which fails a commit exactly as a full disk does):
/// QoS 1 publishes are refused, 5.0 with PUBACK 0x97 and 3.1.1 by closing, never acknowledged as if stored; what was
/// acknowledged before is all still delivered, and once space is freed publishes are accepted again.
/// </summary>
public sealed class FullStoreTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "starling-full-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    [Fact]
    public async Task FullStore_RefusesQoS1_With0x97_And_KeepsWhatItAcknowledged()
    {
        var broker = await BrokerFixture.StartAsync(null, "--Starling:Storage:Type=sqlite", $"--Starling:Storage:Path={_data}", "--Starling:Storage:MaximumSizeBytes=262144");
        try
        {
            await using (var subscriber = await MqttNet.ConnectAsync(broker, "full-sub", MqttProtocolVersion.V500, cleanSession: false, o => o.WithSessionExpiryInterval(3600)))
            {
                await subscriber.SubscribeAsync("full/#", MqttQualityOfServiceLevel.AtLeastOnce);
            }

            await Poll.UntilAsync(() => broker.Broker.Sessions.TryGet("full-sub", out var s) && !s.IsConnected);
            var accepted = new List<string>();
            MqttClientPublishReasonCode refusal = MqttClientPublishReasonCode.Success;
            await using (var publisher = await MqttNet.ConnectAsync(broker, "full-pub", MqttProtocolVersion.V500))
            {
                string filler = new('x', 8 * 1024);
                for (int i = 0; i < 200 && refusal == MqttClientPublishReasonCode.Success; i++)
                {
                    var result = await publisher.PublishAsync("full/q", i + ":" + filler, MqttQualityOfServiceLevel.AtLeastOnce);
                    if (result.ReasonCode == MqttClientPublishReasonCode.Success)
                    {
                        accepted.Add(i + ":");
                    }
                    else
                    {
                        refusal = result.ReasonCode;
                    }
                }

                Assert.Equal(MqttClientPublishReasonCode.QuotaExceeded, refusal); // 0x97: not stored, not acknowledged as stored
                Assert.InRange(accepted.Count, 5, 40); // the cap took effect: 256 KiB holds a few dozen 8 KiB messages

                // 3.1.1 has no refusal: mosquitto_pub's connection is closed instead of its QoS 1 being acknowledged.
                var (code, _, _) = await Mosquitto.RunAsync("mosquitto_pub", ["-h", broker.Host, "-p", broker.Port.ToString(), "-q", "1", "-t", "full/q", "-m", filler], TimeSpan.FromSeconds(10));
                Assert.NotEqual(0, code);
            }

            // Restarted on the same file: every acknowledged message is there, in order.
            await broker.DisposeAsync();
            broker = await BrokerFixture.StartAsync(null, "--Starling:Storage:Type=sqlite", $"--Starling:Storage:Path={_data}", "--Starling:Storage:MaximumSizeBytes=262144");
            await using (var subscriber = MqttNet.Create())
            {
                var connected = await subscriber.Client.ConnectAsync(MqttNet.Options(broker, "full-sub", MqttProtocolVersion.V500).WithCleanStart(false).WithSessionExpiryInterval(3600).Build());
                Assert.True(connected.IsSessionPresent);
                foreach (string prefix in accepted)
                {
                    Assert.StartsWith(prefix, MqttNet.Text(subscriber.Next()), StringComparison.Ordinal);
                }

                // Delivered and acknowledged, the queue's rows are deleted: space again, so a publish is accepted.
                await Task.Delay(1200); // past the second in which the last failure refuses publishes up front
                await using var publisher = await MqttNet.ConnectAsync(broker, "full-pub-2", MqttProtocolVersion.V500);
                await Poll.UntilAsync(() => broker.Broker.Sessions.TryGet("full-sub", out var s) && s.InflightCount == 0 && s.PendingCount == 0);
                var again = await publisher.PublishAsync("full/q", "after", MqttQualityOfServiceLevel.AtLeastOnce);
                Assert.Equal(MqttClientPublishReasonCode.Success, again.ReasonCode);
                Assert.StartsWith("after", MqttNet.Text(subscriber.Next()), StringComparison.Ordinal);
            }
        }
        finally
        {
            await broker.DisposeAsync();
        }
    }
}

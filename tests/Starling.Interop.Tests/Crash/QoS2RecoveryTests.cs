using MQTTnet;
using MQTTnet.Protocol;
using Starling.Interop.Tests.Infrastructure;
using Starling.Mqtt;
using Starling.Mqtt.Packets;
using Starling.TestSupport;
using MqttNetVersion = MQTTnet.Formatter.MqttProtocolVersion;

namespace Starling.Interop.Tests.Crash;

/// <summary>
/// An incoming QoS 2 flow of a persistent session across a kill -9: the broker sent PUBREC, so the packet id it holds
/// must survive, a resent PUBLISH must not be delivered again [MQTT-4.3.3-10], and the client's PUBREL after the
/// restart completes the flow with PUBCOMP Success rather than 0x92 [MQTT-4.3.3-11]; the subscriber gets the message
/// exactly once.
/// </summary>
public sealed class QoS2RecoveryTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "starling-qos2-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    [Fact]
    public async Task IncomingQoS2_AfterPubRec_SurvivesKill9_AndIsDeliveredOnce_MQTT_4_3_3_10()
    {
        string[] settings = ["--Starling:Storage:Type=sqlite", $"--Starling:Storage:Path={_data}"];
        var connect = new ConnectPacket { ProtocolVersion = MqttProtocolVersion.V500, ClientId = "qos2-pub", CleanSession = false, KeepAlive = 60, Properties = new MqttProperties { SessionExpiryInterval = 3600 } };
        var publish = new PublishPacket { Topic = "q2/t", Payload = "once"u8.ToArray(), QoS = MqttQualityOfService.ExactlyOnce, PacketId = 7 };

        await using (var first = await ServerProcess.StartAsync(settings))
        {
            var subscriber = new MqttClientFactory().CreateMqttClient();
            await subscriber.ConnectAsync(Options(first, "qos2-sub").Build());
            await subscriber.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("q2/t", MqttQualityOfServiceLevel.ExactlyOnce).Build());
            await subscriber.DisconnectAsync();
            subscriber.Dispose();

            var (publisher, _) = await RawClient.ConnectAsync(first.Port, connect);
            await using (publisher)
            {
                await publisher.SendAsync(publish);
                var rec = await publisher.ReceiveAsync<PubRecPacket>();
                Assert.Equal(MqttReasonCode.Success, rec.ReasonCode);
                await first.KillAsync(); // PUBREC was sent: the id is the broker's to keep
            }
        }

        await using var second = await ServerProcess.StartAsync(settings);
        var (again, connack) = await RawClient.ConnectAsync(second.Port, connect);
        await using (again)
        {
            Assert.True(connack.SessionPresent); // [MQTT-3.2.2-2]
            publish.Dup = true;
            await again.SendAsync(publish); // a resend before PUBREL: acknowledged again, not delivered again
            Assert.Equal(MqttReasonCode.Success, (await again.ReceiveAsync<PubRecPacket>()).ReasonCode);
            await again.SendAsync(new PubRelPacket { PacketId = 7 });
            Assert.Equal(MqttReasonCode.Success, (await again.ReceiveAsync<PubCompPacket>()).ReasonCode); // not 0x92: the id was kept
        }

        var received = new List<string>();
        var back = new MqttClientFactory().CreateMqttClient();
        back.ApplicationMessageReceivedAsync += e =>
        {
            lock (received)
            {
                received.Add(e.ApplicationMessage.ConvertPayloadToString());
            }

            return Task.CompletedTask;
        };
        var resumed = await back.ConnectAsync(Options(second, "qos2-sub").Build());
        Assert.True(resumed.IsSessionPresent);
        await Poll.UntilAsync(() => { lock (received) { return received.Count > 0; } }, "the QoS 2 message");
        await Task.Delay(500);
        lock (received)
        {
            Assert.Equal(["once"], received);
        }

        back.Dispose();
    }

    private static MqttClientOptionsBuilder Options(ServerProcess server, string clientId) =>
        new MqttClientOptionsBuilder().WithTcpServer(server.Host, server.Port).WithClientId(clientId)
            .WithProtocolVersion(MqttNetVersion.V500).WithCleanStart(false).WithSessionExpiryInterval(3600).WithTimeout(TimeSpan.FromSeconds(10));
}

using Starling.Mqtt;

namespace Starling.Interop.Tests.Bridges;

/// <summary>How the bridge reaches a mosquitto that asks for a user name and password, or speaks TLS only.</summary>
public sealed class BridgeConnectionTests
{
    [Fact]
    public async Task Credentials_RightOnesConnect_WrongOnesAreRefusedAndRetried()
    {
        using var mosquitto = MosquittoServer.Start(new MosquittoSettings(Username: "bridge", Password: "s3cret"));
        var (broker, _) = await new BridgeSettings("creds", mosquitto.Port, "3.1.1").Topic("a/#", "out", 1)
            .Set("Username", "bridge").Set("Password", "s3cret").StartAsync();
        await using (broker)
        {
            var receiverProcess = Infrastructure.Mosquitto.StartSub(["-h", "127.0.0.1", "-p", mosquitto.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-u", "bridge", "-P", "s3cret", "-t", "a/#", "-q", "1", "-C", "1", "-W", "10"]);
            await Task.Delay(500); // mosquitto_sub subscribes
            await using var publisher = await Subscriber.PublisherAsync(broker.Port);
            await publisher.PublishAsync("a/b", "hello", MqttQualityOfService.AtLeastOnce);
            Assert.True(receiverProcess.WaitForExit(10_000));
            Assert.Equal("hello", (await receiverProcess.StandardOutput.ReadToEndAsync()).Trim());
        }

        var wrong = new BridgeSettings("wrong", mosquitto.Port, "3.1.1").Topic("a/#", "out", 1).Set("Username", "bridge").Set("Password", "nope");
        await using var refused = await Infrastructure.BrokerFixture.StartAsync(null, wrong.Build());
        var bridge = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetServices<Bridge.MqttBridge>(refused.Services).Single();
        await Poll.UntilAsync(() => bridge.LastError is not null, "the refusal");
        Assert.Contains("refused", bridge.LastError, StringComparison.OrdinalIgnoreCase);
        Assert.NotEqual(Bridge.BridgeState.Connected, bridge.State);
    }

    [Fact]
    public async Task Tls_ToMosquitto_WithTheConfiguredCa()
    {
        using var certificates = Listeners.TestCertificates.Create();
        using var mosquitto = MosquittoServer.Start(new MosquittoSettings(CertificateFile: certificates.ServerCertificatePath, KeyFile: certificates.ServerKeyPath));
        var (broker, bridge) = await new BridgeSettings("tls", mosquitto.Port, "5.0").Topic("t/#", "in", 1)
            .Set("Tls:Enabled", "true").Set("Tls:CaFile", certificates.CaPath).Set("Tls:ServerName", "localhost").StartAsync();
        await using var _ = broker;
        await using var local = await Subscriber.StartAsync(broker.Port, "t/#", MqttQualityOfService.AtLeastOnce);
        var (code, _, error) = await Infrastructure.Mosquitto.RunAsync("mosquitto_pub", ["-h", "localhost", "-p", mosquitto.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--cafile", certificates.CaPath, "-q", "1", "-t", "t/1", "-m", "over tls"], TimeSpan.FromSeconds(10));
        Assert.True(code == 0, error);
        await Poll.UntilAsync(() => !local.Received.IsEmpty, "the message over TLS");
        Assert.Equal(["over tls"], local.Payloads);
        Assert.Equal(1, bridge.Forwarded.In);
    }
}

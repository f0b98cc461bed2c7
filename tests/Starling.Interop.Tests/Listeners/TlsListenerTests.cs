using System.Diagnostics;
using System.Net.Sockets;
using Starling.Interop.Tests.Infrastructure;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Interop.Tests.Listeners;

/// <summary>The tls listener with Debian's mosquitto clients: certificates, client certificates, CN as user name, limits.</summary>
public sealed class TlsListenerTests(CertificatesFixture fixture) : IClassFixture<CertificatesFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private readonly TestCertificates _certificates = fixture.Certificates;

    [Fact]
    public async Task GoodClientCertificate_RoundTrips_AndItsCommonNameIsTheUsername()
    {
        var recorder = new ConnectRecorder();
        await using var broker = await BrokerFixture.StartAsync([recorder], Listener.Tls("secure", _certificates, "tls", "ClientCertificate=required", "UseCertificateCommonNameAsUsername=true"));
        var tls = Listener.MosquittoTls(broker.PortOf("secure"), _certificates);

        using var sub = Mosquitto.StartSub([.. tls, "-t", "tls/rt", "-q", "1", "-C", "1", "-W", "10", "-i", "tls-sub", "-u", "not-alice"]);
        await Listener.WaitForSubscriptionsAsync(broker, 1);
        var (exit, _, error) = await Mosquitto.RunAsync("mosquitto_pub", [.. tls, "-t", "tls/rt", "-q", "1", "-m", "over tls", "-i", "tls-pub"], Timeout);
        Assert.True(exit == 0, error);
        Assert.Equal("over tls", (await sub.StandardOutput.ReadToEndAsync()).Trim());

        var seen = recorder.Connects.ToArray();
        Assert.Contains(("tls-sub", "secure", "alice"), seen);
        Assert.Contains(("tls-pub", "secure", "alice"), seen);
    }

    [Fact]
    public async Task RequiredClientCertificate_RefusesABadOrMissingCertificate_DuringTheHandshake()
    {
        var recorder = new ConnectRecorder();
        await using var broker = await BrokerFixture.StartAsync([recorder], [.. Listener.Declare("plain", "tcp"), .. Listener.Tls("secure", _certificates, "tls", "ClientCertificate=required")]);
        await using var watcher = await MqttNet.ConnectAsync(broker, "watcher");
        await watcher.SubscribeAsync("refused/#", MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce);
        int port = broker.PortOf("secure");

        var bad = await Mosquitto.RunAsync("mosquitto_pub", [.. Listener.MosquittoTls(port, _certificates, goodCertificate: false, badCertificate: true), "-t", "refused/bad", "-q", "1", "-m", "x", "-i", "bad"], Timeout);
        var none = await Mosquitto.RunAsync("mosquitto_pub", [.. Listener.MosquittoTls(port, _certificates, goodCertificate: false), "-t", "refused/none", "-q", "1", "-m", "x", "-i", "none"], Timeout);

        Assert.NotEqual(0, bad.ExitCode);
        Assert.NotEqual(0, none.ExitCode);
        Assert.Null(watcher.Next(TimeSpan.FromMilliseconds(500)));
        Assert.DoesNotContain(recorder.Connects, c => c.Listener == "secure");
    }

    [Fact]
    public async Task OptionalClientCertificate_AcceptsNone_ButRefusesABadOne()
    {
        var recorder = new ConnectRecorder();
        await using var broker = await BrokerFixture.StartAsync([recorder], Listener.Tls("secure", _certificates, "tls", "ClientCertificate=optional", "UseCertificateCommonNameAsUsername=true"));
        int port = broker.PortOf("secure");

        var none = await Mosquitto.RunAsync("mosquitto_pub", [.. Listener.MosquittoTls(port, _certificates, goodCertificate: false), "-t", "opt/none", "-m", "x", "-i", "opt-none", "-u", "bob"], Timeout);
        var bad = await Mosquitto.RunAsync("mosquitto_pub", [.. Listener.MosquittoTls(port, _certificates, goodCertificate: false, badCertificate: true), "-t", "opt/bad", "-m", "x", "-i", "opt-bad"], Timeout);

        Assert.True(none.ExitCode == 0, none.Error);
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains(("opt-none", "secure", "bob"), recorder.Connects);
        Assert.DoesNotContain(recorder.Connects, c => c.ClientId == "opt-bad");
    }

    [Fact]
    public async Task PfxCertificate_Serves_WithoutClientCertificates()
    {
        await using var broker = await BrokerFixture.StartAsync(null, Listener.Declare("secure", "tls", $"Certificate:Path={_certificates.ServerPfxPath}", $"Certificate:Password={TestCertificates.PfxPassword}"));
        var tls = Listener.MosquittoTls(broker.PortOf("secure"), _certificates, goodCertificate: false);

        using var sub = Mosquitto.StartSub([.. tls, "-t", "pfx/t", "-C", "1", "-W", "10"]);
        await Listener.WaitForSubscriptionsAsync(broker, 1);
        var (exit, _, error) = await Mosquitto.RunAsync("mosquitto_pub", [.. tls, "-t", "pfx/t", "-m", "pfx", "--tls-version", "tlsv1.2"], Timeout);
        Assert.True(exit == 0, error);
        Assert.Equal("pfx", (await sub.StandardOutput.ReadToEndAsync()).Trim());
    }

    [Fact]
    public async Task HandshakeTimeout_ClosesASocketThatNeverSendsAClientHello()
    {
        await using var broker = await BrokerFixture.StartAsync(null, Listener.Tls("secure", _certificates, "tls", "HandshakeTimeoutSeconds=1"));
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync("127.0.0.1", broker.PortOf("secure"));
        var clock = Stopwatch.StartNew();

        int received = await ReceiveUntilClosedAsync(socket, TimeSpan.FromSeconds(8));

        Assert.Equal(0, received);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(700), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task HandshakeTimeout_OnTcp_ClosesAClientThatNeverSendsConnect_BeforeTheBrokerWide10Seconds()
    {
        await using var broker = await BrokerFixture.StartAsync(null, Listener.Declare("quick", "tcp", "HandshakeTimeoutSeconds=1"));
        await using var raw = await RawClient.ConnectAsync(broker.PortOf("quick"));
        var clock = Stopwatch.StartNew();

        Assert.True(await raw.WaitForCloseAsync(TimeSpan.FromSeconds(8)));
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(700), TimeSpan.FromSeconds(5));

        // A client that does connect in time stays connected past the deadline.
        var (client, connack) = await RawClient.ConnectAsync(broker.PortOf("quick"), new ConnectPacket { ClientId = "in-time", KeepAlive = 60 });
        await using var _ = client;
        Assert.Equal(MqttReasonCode.Success, connack.ReasonCode);
        Assert.False(await client.WaitForCloseAsync(TimeSpan.FromMilliseconds(1800)));
    }

    [Fact]
    public async Task MaximumConnections_ClosesTheConnectionPastTheLimit_AndFreesTheSlotOnClose()
    {
        await using var broker = await BrokerFixture.StartAsync(null, [.. Listener.Declare("limited", "tcp", "MaximumConnections=2"), .. Listener.Tls("secure", _certificates, "tls", "MaximumConnections=1")]);
        int port = broker.PortOf("limited");
        var (first, a) = await RawClient.ConnectAsync(port, new ConnectPacket { ClientId = "first", KeepAlive = 60 });
        var (second, b) = await RawClient.ConnectAsync(port, new ConnectPacket { ClientId = "second", KeepAlive = 60 });
        await using (first)
        {
            await using var _ = second;
            Assert.Equal(MqttReasonCode.Success, a.ReasonCode);
            Assert.Equal(MqttReasonCode.Success, b.ReasonCode);

            await using var third = await RawClient.ConnectAsync(port);
            Assert.True(await third.WaitForCloseAsync(TimeSpan.FromSeconds(5)), "the third connection was not closed");
        }

        var listener = broker.Service.Listeners.Single(l => l.Name == "limited");
        for (int i = 0; i < 200 && listener.ConnectionCount > 1; i++)
        {
            await Task.Delay(20);
        }

        var (again, c) = await RawClient.ConnectAsync(port, new ConnectPacket { ClientId = "again", KeepAlive = 60 });
        await using var __ = again;
        Assert.Equal(MqttReasonCode.Success, c.ReasonCode);

        // The tls listener counts its own connections: one mosquitto_sub holds its only slot.
        var tls = Listener.MosquittoTls(broker.PortOf("secure"), _certificates, goodCertificate: false);
        using var holder = Mosquitto.StartSub([.. tls, "-t", "limit/t", "-C", "1", "-W", "10"]);
        await Listener.WaitForSubscriptionsAsync(broker, 1);
        var refused = await Mosquitto.RunAsync("mosquitto_pub", [.. tls, "-t", "limit/t", "-m", "x"], Timeout);
        Assert.NotEqual(0, refused.ExitCode);
        holder.Kill();
    }

    private static async Task<int> ReceiveUntilClosedAsync(Socket socket, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[1024];
        try
        {
            return await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
        }
        catch (SocketException)
        {
            return 0; // reset counts as closed
        }
    }
}

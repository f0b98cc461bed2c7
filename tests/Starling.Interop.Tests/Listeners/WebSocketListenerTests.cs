using System.Net;
using System.Net.Security;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MQTTnet;
using MQTTnet.Protocol;
using Starling.Interop.Tests.Infrastructure;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Interop.Tests.Listeners;

/// <summary>The ws and wss listeners on Kestrel: MQTTnet, MQTT.js, raw frames, subprotocols, limits, /health.</summary>
public sealed class WebSocketListenerTests(CertificatesFixture fixture) : IClassFixture<CertificatesFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private readonly TestCertificates _certificates = fixture.Certificates;

    [Fact]
    public async Task MqttNet_OverWebSocket_RoundTrips()
    {
        await using var broker = await BrokerFixture.StartAsync(null, Listener.Declare("web", "ws"));
        int port = broker.PortOf("web");
        await using var subscriber = await ConnectMqttNetAsync(port, "ws-sub");
        await using var publisher = await ConnectMqttNetAsync(port, "ws-pub");

        await subscriber.SubscribeAsync("ws/+", MqttQualityOfServiceLevel.ExactlyOnce);
        for (int qos = 0; qos <= 2; qos++)
        {
            await publisher.PublishAsync("ws/" + qos, "payload " + qos, (MqttQualityOfServiceLevel)qos);
            var message = subscriber.Next();
            Assert.Equal("ws/" + qos, message.Topic);
            Assert.Equal("payload " + qos, MqttNet.Text(message));
        }
    }

    [Fact]
    public async Task MqttJs_OverWsAndWss_RoundTrips()
    {
        await using var broker = await BrokerFixture.StartAsync(null, [.. Listener.Declare("web", "ws", "Path=/mqtt"), .. Listener.Tls("secure", _certificates, "wss")]);

        var ws = await Listener.MqttJsRoundTripAsync($"ws://127.0.0.1:{broker.PortOf("web")}/mqtt", "js/ws", "from mqtt.js over ws");
        var wss5 = await Listener.MqttJsRoundTripAsync($"wss://localhost:{broker.PortOf("secure")}/mqtt", "js/wss", "from mqtt.js over wss", "--ca", _certificates.CaPath, "--protocol-version", "5");

        Assert.True(ws.ExitCode == 0, ws.Error);
        Assert.Equal("from mqtt.js over ws", ws.Output);
        Assert.True(wss5.ExitCode == 0, wss5.Error);
        Assert.Equal("from mqtt.js over wss", wss5.Output);
    }

    [Fact]
    public async Task Wss_WithRequiredClientCertificate_TakesTheCommonNameAsUsername_AndRefusesABadCertificate()
    {
        var recorder = new ConnectRecorder();
        await using var broker = await BrokerFixture.StartAsync([recorder], Listener.Tls("secure", _certificates, "wss", "ClientCertificate=required", "UseCertificateCommonNameAsUsername=true"));
        int port = broker.PortOf("secure");

        var good = await Listener.MqttJsRoundTripAsync($"wss://localhost:{port}/mqtt", "wss/cn", "hello", "--ca", _certificates.CaPath, "--cert", _certificates.ClientCertificatePath, "--key", _certificates.ClientKeyPath, "--username", "ignored");
        Assert.True(good.ExitCode == 0, good.Error);
        Assert.Contains(recorder.Connects, c => c.Listener == "secure" && c.Username == "alice");

        int before = recorder.Connects.Count;
        var bad = await Listener.MqttJsRoundTripAsync($"wss://localhost:{port}/mqtt", "wss/cn", "hello", "--ca", _certificates.CaPath, "--cert", _certificates.BadClientCertificatePath, "--key", _certificates.BadClientKeyPath);
        var none = await Listener.MqttJsRoundTripAsync($"wss://localhost:{port}/mqtt", "wss/cn", "hello", "--ca", _certificates.CaPath);
        Assert.NotEqual(0, bad.ExitCode);
        Assert.NotEqual(0, none.ExitCode);
        Assert.Equal(before, recorder.Connects.Count);

        // .NET's own client with the good certificate, raw WebSocket.
        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("mqtt");
        socket.Options.ClientCertificates = [_certificates.Client];
        socket.Options.RemoteCertificateValidationCallback = (_, certificate, _, _) => _certificates.Issued(certificate);
        await socket.ConnectAsync(new Uri($"wss://localhost:{port}/mqtt"), CancellationToken.None);
        Assert.Equal("mqtt", socket.SubProtocol);
    }

    [Fact]
    public async Task APacketSplitAcrossFrames_AndSeveralPacketsInOneFrame_AreBothRead()
    {
        await using var broker = await BrokerFixture.StartAsync(null, Listener.Declare("web", "ws"));
        await using var client = await RawWebSocketClient.ConnectAsync(broker.PortOf("web"));

        // CONNECT in three pieces: two fragments of one message, then the rest as a message of its own.
        byte[] connect = RawWebSocketClient.Encode(new ConnectPacket { ClientId = "frames", KeepAlive = 60 });
        await client.SendFrameAsync(connect.AsMemory(0, 1), endOfMessage: false);
        await client.SendFrameAsync(connect.AsMemory(1, 4), endOfMessage: true);
        await Task.Delay(50);
        await client.SendFrameAsync(connect.AsMemory(5));
        Assert.Equal(MqttReasonCode.Success, Assert.IsType<ConnAckPacket>(await client.ReceiveAsync(Timeout)).ReasonCode);

        // SUBSCRIBE, two PUBLISH and the first half of a third, in one frame; then the rest.
        byte[] subscribe = RawWebSocketClient.Encode(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription { TopicFilter = "frames/#", QoS = MqttQualityOfService.AtLeastOnce }] });
        byte[] one = RawWebSocketClient.Encode(new PublishPacket { Topic = "frames/1", Payload = "one"u8.ToArray() });
        byte[] two = RawWebSocketClient.Encode(new PublishPacket { Topic = "frames/2", Payload = "two"u8.ToArray(), QoS = MqttQualityOfService.AtLeastOnce, PacketId = 7 });
        byte[] three = RawWebSocketClient.Encode(new PublishPacket { Topic = "frames/3", Payload = Encoding.UTF8.GetBytes(new string('x', 10_000)) });
        byte[] frame = [.. subscribe, .. one, .. two, .. three.AsSpan(0, 3000)];
        await client.SendFrameAsync(frame);
        await client.SendFrameAsync(three.AsMemory(3000));

        Assert.IsType<SubAckPacket>(await client.ReceiveAsync(Timeout));
        var received = new List<MqttPacket>();
        for (int i = 0; i < 4; i++)
        {
            received.Add((await client.ReceiveAsync(Timeout))!);
        }

        var publishes = received.OfType<PublishPacket>().ToList();
        Assert.Equal(["frames/1", "frames/2", "frames/3"], publishes.Select(p => p.Topic));
        Assert.Equal(10_000, publishes[2].Payload.Length);
        Assert.Single(received.OfType<PubAckPacket>(), p => p.PacketId == 7);
    }

    [Fact]
    public async Task ATextFrame_ClosesTheConnection()
    {
        await using var broker = await BrokerFixture.StartAsync(null, Listener.Declare("web", "ws"));
        await using var client = await RawWebSocketClient.ConnectAsync(broker.PortOf("web"));
        await client.SendFrameAsync(RawWebSocketClient.Encode(new ConnectPacket { ClientId = "texter", KeepAlive = 60 }));
        Assert.IsType<ConnAckPacket>(await client.ReceiveAsync(Timeout));

        await client.Socket.SendAsync("hello"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);

        Assert.Null(await client.ReceiveAsync(Timeout));
        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, client.Socket.CloseStatus);
        for (int i = 0; i < 100 && broker.Broker.ConnectionCount > 0; i++)
        {
            await Task.Delay(20);
        }

        Assert.Equal(0, broker.Broker.ConnectionCount);
    }

    [Fact]
    public async Task Subprotocols_MqttAndMqttv31_AreAccepted_OthersRefused()
    {
        await using var broker = await BrokerFixture.StartAsync(null, Listener.Declare("web", "ws"));
        int port = broker.PortOf("web");

        await using (var mqtt = await RawWebSocketClient.ConnectAsync(port, "mqtt"))
        {
            Assert.Equal("mqtt", mqtt.Socket.SubProtocol);
        }

        await using (var v31 = await RawWebSocketClient.ConnectAsync(port, "mqttv3.1"))
        {
            Assert.Equal("mqttv3.1", v31.Socket.SubProtocol);
            await v31.SendFrameAsync(RawWebSocketClient.Encode(new ConnectPacket { ProtocolVersion = MqttProtocolVersion.V310, ClientId = "v31", KeepAlive = 60 }, MqttProtocolVersion.V310));
            Assert.Equal(MqttReasonCode.Success, Assert.IsType<ConnAckPacket>(await v31.ReceiveAsync(Timeout)).ReasonCode);
        }

        using var wrong = new ClientWebSocket();
        wrong.Options.AddSubProtocol("stomp");
        wrong.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAnyAsync<WebSocketException>(() => wrong.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/mqtt"), CancellationToken.None));
        Assert.Equal(HttpStatusCode.BadRequest, wrong.HttpStatusCode);

        using var none = new ClientWebSocket();
        none.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAnyAsync<WebSocketException>(() => none.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/mqtt"), CancellationToken.None));
        Assert.Equal(HttpStatusCode.BadRequest, none.HttpStatusCode);
    }

    [Fact]
    public async Task MaximumConnections_Answers503_PastTheLimit()
    {
        await using var broker = await BrokerFixture.StartAsync(null, Listener.Declare("web", "ws", "MaximumConnections=1"));
        int port = broker.PortOf("web");
        await using var first = await ConnectMqttNetAsync(port, "first");

        using var second = new ClientWebSocket();
        second.Options.AddSubProtocol("mqtt");
        second.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAnyAsync<WebSocketException>(() => second.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/mqtt"), CancellationToken.None));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, second.HttpStatusCode);

        await first.Client.DisconnectAsync();
        var listener = broker.Service.Listeners.Single(l => l.Name == "web");
        for (int i = 0; i < 200 && listener.ConnectionCount > 0; i++)
        {
            await Task.Delay(20);
        }

        await using var third = await ConnectMqttNetAsync(port, "third");
        Assert.True(third.Client.IsConnected);
    }

    [Fact]
    public async Task HandshakeTimeout_ClosesAWebSocketThatNeverSendsConnect()
    {
        await using var broker = await BrokerFixture.StartAsync(null, Listener.Declare("web", "ws", "HandshakeTimeoutSeconds=1"));
        await using var client = await RawWebSocketClient.ConnectAsync(broker.PortOf("web"));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Null(await client.ReceiveAsync(TimeSpan.FromSeconds(8)));
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(700), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Health_AnswersOk_OnTheWebSocketPort_AndOtherPathsAre404()
    {
        await using var broker = await BrokerFixture.StartAsync(null, [.. Listener.Declare("web", "ws", "Path=/custom"), .. Listener.Declare("plain", "tcp")]);
        using var http = new HttpClient();
        int port = broker.PortOf("web");

        var health = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/health"));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("ok", await health.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri($"http://127.0.0.1:{port}/mqtt"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync(new Uri($"http://127.0.0.1:{port}/custom"))).StatusCode);

        var client = MqttNet.Create();
        await using var _ = client;
        await client.Client.ConnectAsync(new MqttClientOptionsBuilder().WithWebSocketServer(o => o.WithUri($"ws://127.0.0.1:{port}/custom")).WithClientId("custom-path").Build());
        Assert.True(client.Client.IsConnected);
    }

    internal static async Task<MqttNet> ConnectMqttNetAsync(int port, string clientId)
    {
        var client = MqttNet.Create();
        await client.Client.ConnectAsync(new MqttClientOptionsBuilder()
            .WithWebSocketServer(o => o.WithUri($"ws://127.0.0.1:{port}/mqtt"))
            .WithClientId(clientId)
            .WithTimeout(Timeout)
            .Build());
        return client;
    }
}

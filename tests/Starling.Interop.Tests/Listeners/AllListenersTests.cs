using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MQTTnet.Protocol;
using Starling.Hosting;
using Starling.Interop.Tests.Infrastructure;

namespace Starling.Interop.Tests.Listeners;

/// <summary>Every listener type open at once in one broker; configuration errors name the bad key; --config adds a file.</summary>
public sealed class AllListenersTests(CertificatesFixture fixture) : IClassFixture<CertificatesFixture>
{
    private readonly TestCertificates _certificates = fixture.Certificates;

    [Fact]
    public async Task EveryListenerType_AtOnce_AMessageCrossesFromTlsToWebSocket()
    {
        await using var broker = await BrokerFixture.StartAsync(null,
        [
            .. Listener.Declare("mqtt", "tcp"),
            .. Listener.Tls("mqtts", _certificates, "tls", "ClientCertificate=optional"),
            .. Listener.Declare("web", "ws"),
            .. Listener.Tls("webs", _certificates, "wss"),
            .. Listener.Declare("monitor", "http"),
            .. Listener.Tls("monitors", _certificates, "https"),
        ]);
        Assert.Equal(new[] { "mqtt", "mqtts", "web", "webs", "monitor", "monitors" }.Order(), broker.Service.Listeners.Select(l => l.Name).Order());
        Assert.Equal(6, broker.Service.Listeners.Select(l => l.LocalEndPoint!.Port).Distinct().Count());

        await using var wsSubscriber = await WebSocketListenerTests.ConnectMqttNetAsync(broker.PortOf("web"), "ws-sub");
        await wsSubscriber.SubscribeAsync("cross/#", MqttQualityOfServiceLevel.AtLeastOnce);
        await using var tcpSubscriber = await MqttNet.ConnectAsync(broker, "tcp-sub");
        await tcpSubscriber.SubscribeAsync("cross/#", MqttQualityOfServiceLevel.AtLeastOnce);

        var (exit, _, error) = await Mosquitto.RunAsync("mosquitto_pub", [.. Listener.MosquittoTls(broker.PortOf("mqtts"), _certificates), "-t", "cross/tls", "-q", "1", "-m", "from tls"], TimeSpan.FromSeconds(15));
        Assert.True(exit == 0, error);
        Assert.Equal("from tls", MqttNet.Text(wsSubscriber.Next()));
        Assert.Equal("from tls", MqttNet.Text(tcpSubscriber.Next()));

        var wss = await Listener.MqttJsRoundTripAsync($"wss://localhost:{broker.PortOf("webs")}/mqtt", "cross/wss", "from wss", "--ca", _certificates.CaPath);
        Assert.True(wss.ExitCode == 0, wss.Error);
        Assert.Equal("from wss", MqttNet.Text(wsSubscriber.Next()));

        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, certificate, _, _) => certificate?.Subject == "CN=localhost" };
        using var http = new HttpClient(handler);
        foreach (var url in new[] { $"http://127.0.0.1:{broker.PortOf("web")}/health", $"https://localhost:{broker.PortOf("webs")}/health", $"http://127.0.0.1:{broker.PortOf("monitor")}/health", $"https://localhost:{broker.PortOf("monitors")}/health" })
        {
            var response = await http.GetAsync(new Uri(url));
            Assert.True(response.StatusCode == HttpStatusCode.OK, url);
            Assert.Equal("ok", await response.Content.ReadAsStringAsync());
        }

        // An http listener serves no MQTT.
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri($"http://127.0.0.1:{broker.PortOf("monitor")}/mqtt"))).StatusCode);
    }

    [Fact]
    public async Task TheDefault_IsOneTcpListenerNamedTcp_OnStarlingPort_AndTheMonitor()
    {
        await using var broker = await BrokerFixture.StartAsync();
        var listener = Assert.Single(broker.Service.Listeners, l => l.Type == "tcp");
        Assert.Equal(("tcp", "tcp"), (listener.Name, listener.Type));
        Assert.Equal(broker.Port, listener.LocalEndPoint!.Port);
        var monitor = Assert.Single(broker.Service.Listeners, l => l.Name == "monitor"); // the web monitor's own, on loopback
        Assert.Equal("http", monitor.Type);
        Assert.Equal(System.Net.IPAddress.Loopback, monitor.LocalEndPoint!.Address);
        Assert.Equal(2, broker.Service.Listeners.Count);
    }

    [Fact]
    public async Task WebEndpoints_AddedByTheApplication_AreServedNextToHealth()
    {
        string[] args = ["--port", "0", "--bind", "127.0.0.1", "--Logging:LogLevel:Default=Warning", .. Listener.Declare("web", "ws")];
        var builder = StarlingHost.CreateBuilder(args);
        builder.Services.AddStarling(builder.Configuration);
        builder.Services.AddStarlingWebEndpoints(endpoints => Microsoft.AspNetCore.Builder.EndpointRouteBuilderExtensions.MapGet(endpoints, "/hello", () => "hi"));
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            int port = host.Services.GetRequiredService<StarlingHostedService>().GetEndPoint("web").Port;
            using var http = new HttpClient();
            Assert.Equal("hi", await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/hello")));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task ARefusedClientCertificate_IsLogged()
    {
        var logs = new CapturingLoggerProvider();
        string[] args = ["--port", "0", "--bind", "127.0.0.1", .. Listener.Tls("secure", _certificates, "tls", "ClientCertificate=required")];
        var builder = StarlingHost.CreateBuilder(args);
        builder.Logging.AddProvider(logs);
        builder.Services.AddStarling(builder.Configuration);
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            int port = host.Services.GetRequiredService<StarlingHostedService>().GetEndPoint("secure").Port;
            var bad = await Mosquitto.RunAsync("mosquitto_pub", [.. Listener.MosquittoTls(port, _certificates, goodCertificate: false, badCertificate: true), "-t", "t", "-m", "x"], TimeSpan.FromSeconds(15));
            var none = await Mosquitto.RunAsync("mosquitto_pub", [.. Listener.MosquittoTls(port, _certificates, goodCertificate: false), "-t", "t", "-m", "x"], TimeSpan.FromSeconds(15));
            Assert.NotEqual(0, bad.ExitCode);
            Assert.NotEqual(0, none.ExitCode);
            for (int i = 0; i < 100 && logs.Count(m => m.Contains("during the TLS handshake", StringComparison.Ordinal)) < 2; i++)
            {
                await Task.Delay(20);
            }

            Assert.Contains(logs.Messages, m => m.Contains("refused", StringComparison.Ordinal) && m.Contains("CN=mallory", StringComparison.Ordinal));
            Assert.Contains(logs.Messages, m => m.Contains("no client certificate was presented", StringComparison.Ordinal));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Theory]
    [InlineData("Starling:Listeners:x:Type", "--Starling:Listeners:x:Type=quic")]
    [InlineData("Starling:Listeners:x:Port", "--Starling:Listeners:x:Type=ws")]
    [InlineData("Starling:Listeners:x:Port", "--Starling:Listeners:x:Port=70000")]
    [InlineData("Starling:Listeners:x:BindAddress", "--Starling:Listeners:x:BindAddress=localhost")]
    [InlineData("Starling:Listeners:x:Certificate:Path", "--Starling:Listeners:x:Type=tls")]
    [InlineData("Starling:Listeners:x:Certificate:Path", "--Starling:Listeners:x:Type=wss", "--Starling:Listeners:x:Port=0", "--Starling:Listeners:x:Certificate:Path=/nonexistent/server.crt")]
    [InlineData("Starling:Listeners:x:ClientCertificate", "--Starling:Listeners:x:ClientCertificate=sometimes")]
    [InlineData("Starling:Listeners:x:ClientCaPath", "--Starling:Listeners:x:Type=tls", "--Starling:Listeners:x:Certificate:Path=server.crt", "--Starling:Listeners:x:ClientCertificate=required")]
    [InlineData("Starling:Listeners:x:MaximumConnections", "--Starling:Listeners:x:MaximumConnections=-1")]
    [InlineData("Starling:Listeners:x:Path", "--Starling:Listeners:x:Type=ws", "--Starling:Listeners:x:Port=0", "--Starling:Listeners:x:Path=mqtt")]
    [InlineData("Starling:Listeners:y:Port", "--Starling:Listeners:x:Port=18830", "--Starling:Listeners:y:Port=18830")]
    public async Task ABadListenerSetting_StopsTheStart_NamingTheKey(string key, params string[] settings)
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => BrokerFixture.StartAsync(null, settings));
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigFile_AddsListeners_AndTheCommandLineStillOverridesIt()
    {
        string file = Path.Combine(_certificates.Directory, "starling.json");
        await File.WriteAllTextAsync(file, $$"""
            {
              "Starling": {
                "MaximumQoS": 1,
                "MaximumClientIdLength": 100,
                "Listeners": {
                  "fromfile": { "Type": "tcp", "Port": 0 },
                  "secure": { "Type": "tls", "Port": 0, "Certificate": { "Path": "{{_certificates.ServerPfxPath}}", "Password": "{{TestCertificates.PfxPassword}}" } }
                }
              }
            }
            """);

        await using var broker = await BrokerFixture.StartAsync(null, "--config", file, "--Starling:MaximumQoS=2", "--Starling:Listeners:secure:HandshakeTimeoutSeconds=3");

        Assert.Equal(["fromfile", "monitor", "secure"], broker.Service.Listeners.Select(l => l.Name).Order());
        Assert.Equal(2, (int)broker.Broker.Options.MaximumQoS);
        Assert.Equal(100, broker.Broker.Options.MaximumClientIdLength);
        var secure = broker.Service.Listeners.Single(l => l.Name == "secure");
        Assert.Equal("tls", secure.Type);
    }

    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        private readonly List<string> _messages = [];

        public IReadOnlyList<string> Messages
        {
            get
            {
                lock (_messages)
                {
                    return [.. _messages];
                }
            }
        }

        public int Count(Func<string, bool> predicate) => Messages.Count(predicate);

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturingLoggerProvider provider) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (provider._messages)
                {
                    provider._messages.Add(formatter(state, exception));
                }
            }
        }
    }
}

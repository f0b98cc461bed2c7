using System.Net;
using System.Net.Sockets;
using MQTTnet.Server;
using Starling.Mqtt;
using Starling.Mqtt.Client;

namespace Starling.Mqtt.Client.Tests;

/// <summary>An in-process MQTTnet 5 server on a free port: a broker nobody here wrote.</summary>
public sealed class TestBroker : IAsyncDisposable
{
    private TestBroker(MqttServer server, int port)
    {
        Server = server;
        Port = port;
    }

    public MqttServer Server { get; }

    public int Port { get; }

    public static async Task<TestBroker> StartAsync(Action<MqttServer>? configure = null, bool persistentSessions = false)
    {
        var port = FreePort();
        var options = new MqttServerOptionsBuilder().WithDefaultEndpoint().WithDefaultEndpointPort(port).WithPersistentSessions(persistentSessions).Build();
        var server = new MqttServerFactory().CreateMqttServer(options);
        configure?.Invoke(server);
        await server.StartAsync();
        return new TestBroker(server, port);
    }

    public MqttClientOptions Options(MqttProtocolVersion version = MqttProtocolVersion.V311, string? clientId = null) => new()
    {
        Host = "127.0.0.1",
        Port = Port,
        ProtocolVersion = version,
        ClientId = clientId ?? "c-" + Guid.NewGuid().ToString("N")[..12],
        ConnectTimeout = TimeSpan.FromSeconds(10),
    };

    public async Task<MqttClient> ConnectAsync(MqttProtocolVersion version = MqttProtocolVersion.V311, string? clientId = null, Action<MqttClientOptions>? configure = null)
    {
        var options = Options(version, clientId);
        configure?.Invoke(options);
        var client = new MqttClient();
        await client.ConnectAsync(options, Timeout.Token);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await Server.StopAsync();
        Server.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>A fresh token that gives up after a few seconds, so a broken test fails instead of hanging.</summary>
public static class Timeout
{
    public static CancellationToken Token => new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token;
}

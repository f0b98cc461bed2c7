using System.Collections.Concurrent;
using System.Text;
using Starling.Mqtt;
using Starling.Mqtt.Client;
using Starling.Mqtt.Packets;

namespace Starling.Interop.Tests.Bridges;

/// <summary>A real client that subscribes and keeps every message it receives, in order, for the test to count.</summary>
internal sealed class Subscriber : IAsyncDisposable
{
    private readonly MqttClient _client = new();

    private Subscriber()
    {
    }

    public ConcurrentQueue<PublishPacket> Received { get; } = new();

    public IEnumerable<string> Payloads => Received.Select(p => Encoding.UTF8.GetString(p.Payload.Span));

    public static async Task<Subscriber> StartAsync(int port, string filter, MqttQualityOfService qos, MqttProtocolVersion version = MqttProtocolVersion.V311, string? clientId = null, bool clean = true)
    {
        var subscriber = new Subscriber();
        subscriber._client.MessageReceived = (message, _) =>
        {
            subscriber.Received.Enqueue(message);
            return Task.CompletedTask;
        };
        await subscriber._client.ConnectAsync(new MqttClientOptions
        {
            Host = "127.0.0.1",
            Port = port,
            ProtocolVersion = version,
            ClientId = clientId ?? "sub-" + Guid.NewGuid().ToString("N")[..8],
            CleanSession = clean,
            SessionExpiryInterval = clean ? null : uint.MaxValue,
            UseMessageChannel = false,
        });
        await subscriber._client.SubscribeAsync(filter, qos);
        return subscriber;
    }

    public Task<MqttClientDisconnectedEventArgs> Completion => _client.Completion;

    public ValueTask DisposeAsync() => _client.DisposeAsync();

    /// <summary>A connected publisher.</summary>
    public static async Task<MqttClient> PublisherAsync(int port, MqttProtocolVersion version = MqttProtocolVersion.V311)
    {
        var client = new MqttClient();
        await client.ConnectAsync(new MqttClientOptions { Host = "127.0.0.1", Port = port, ProtocolVersion = version, ClientId = "pub-" + Guid.NewGuid().ToString("N")[..8] });
        return client;
    }
}

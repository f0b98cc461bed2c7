using System.Collections.Concurrent;
using System.Text;
using MQTTnet;
using MQTTnet.Formatter;

namespace Starling.Interop.Tests.Infrastructure;

/// <summary>The MQTTnet client (NuGet), with a queue of what it receives.</summary>
public sealed class MqttNet : IAsyncDisposable
{
    private readonly BlockingCollection<MqttApplicationMessage> _received = [];

    private MqttNet(IMqttClient client)
    {
        Client = client;
        client.ApplicationMessageReceivedAsync += e =>
        {
            if (!AutoAcknowledge)
            {
                e.AutoAcknowledge = false;
            }

            _received.Add(e.ApplicationMessage);
            return Task.CompletedTask;
        };
        client.DisconnectedAsync += e =>
        {
            if (e.ClientWasConnected)
            {
                Disconnected.TrySetResult(e);
            }

            return Task.CompletedTask;
        };
    }

    public IMqttClient Client { get; }

    public bool AutoAcknowledge { get; set; } = true;

    public TaskCompletionSource<MqttClientDisconnectedEventArgs> Disconnected { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static MqttNet Create() => new(new MqttClientFactory().CreateMqttClient());

    public static MqttClientOptionsBuilder Options(BrokerFixture broker, string clientId, MqttProtocolVersion version = MqttProtocolVersion.V311) =>
        Options(broker.Host, broker.Port, clientId, version);

    public static MqttClientOptionsBuilder Options(string host, int port, string clientId, MqttProtocolVersion version = MqttProtocolVersion.V311) =>
        new MqttClientOptionsBuilder()
            .WithTcpServer(host, port)
            .WithClientId(clientId)
            .WithProtocolVersion(version)
            .WithTimeout(TimeSpan.FromSeconds(5));

    public static Task<MqttNet> ConnectAsync(BrokerFixture broker, string clientId, MqttProtocolVersion version = MqttProtocolVersion.V311, bool cleanSession = true, Action<MqttClientOptionsBuilder>? configure = null) =>
        ConnectAsync(broker.Host, broker.Port, clientId, version, cleanSession, configure);

    public static Task<MqttNet> ConnectAsync(ServerProcess server, string clientId, MqttProtocolVersion version = MqttProtocolVersion.V311, bool cleanSession = true, Action<MqttClientOptionsBuilder>? configure = null) =>
        ConnectAsync(server.Host, server.Port, clientId, version, cleanSession, configure);

    private static async Task<MqttNet> ConnectAsync(string host, int port, string clientId, MqttProtocolVersion version, bool cleanSession, Action<MqttClientOptionsBuilder>? configure)
    {
        var client = Create();
        var options = Options(host, port, clientId, version).WithCleanSession(cleanSession);
        if (version == MqttProtocolVersion.V500 && !cleanSession)
        {
            options.WithSessionExpiryInterval(300);
        }

        configure?.Invoke(options);
        await client.Client.ConnectAsync(options.Build());
        return client;
    }

    public Task<MqttClientSubscribeResult> SubscribeAsync(string filter, MQTTnet.Protocol.MqttQualityOfServiceLevel qos) =>
        Client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(f => f.WithTopic(filter).WithQualityOfServiceLevel(qos)).Build());

    public Task<MqttClientPublishResult> PublishAsync(string topic, string payload, MQTTnet.Protocol.MqttQualityOfServiceLevel qos, bool retain = false) =>
        Client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(qos).WithRetainFlag(retain).Build());

    /// <summary>The next message received, or null when none arrives within <paramref name="timeout"/>.</summary>
    public MqttApplicationMessage? Next(TimeSpan timeout) => _received.TryTake(out var message, timeout) ? message : null;

    public MqttApplicationMessage Next() => Next(TimeSpan.FromSeconds(5)) ?? throw new TimeoutException("No message within 5 s.");

    public static string Text(MqttApplicationMessage message) => Encoding.UTF8.GetString(message.Payload);

    public async ValueTask DisposeAsync()
    {
        if (Client.IsConnected)
        {
            try
            {
                await Client.DisconnectAsync();
            }
            catch (Exception)
            {
                // best effort
            }
        }

        Client.Dispose();
        _received.Dispose();
    }
}

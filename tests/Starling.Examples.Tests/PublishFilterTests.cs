using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Starling.Examples.PublishFilter;
using Starling.Hosting;

namespace Starling.Examples.Tests;

/// <summary>A broker running the PublishFilter example's hook, with "viewer" as a subscribe-only user.</summary>
public sealed class PublishFilterBroker : IAsyncLifetime
{
    public TestBroker Broker { get; private set; } = null!;

    public async Task InitializeAsync() => Broker = await TestBroker.StartAsync(
        builder =>
        {
            builder.Services.Configure<PublishFilterOptions>(builder.Configuration.GetSection(PublishFilterOptions.Section));
            builder.Services.AddStarlingHook<PublishFilterHook>();
        },
        "--PublishFilter:SubscribeOnlyUsers:0=viewer");

    public async Task DisposeAsync() => await Broker.DisposeAsync();
}

public sealed class PublishFilterTests(PublishFilterBroker fixture) : IClassFixture<PublishFilterBroker>
{
    private int Port => fixture.Broker.Port;

    private static string NewTopic() => "pf/" + Guid.NewGuid().ToString("N")[..8];

    private async Task<(IMqttClient Client, Inbox Inbox)> SubscriberAsync(string topic)
    {
        var client = await Mqtt.ConnectAsync(Port, MqttProtocolVersion.V500, "alice");
        var inbox = new Inbox(client);
        var result = await Mqtt.SubscribeAsync(client, (topic, MqttQualityOfServiceLevel.ExactlyOnce));
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS2, Assert.Single(result.Items).ResultCode);
        return (client, inbox);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311, MqttQualityOfServiceLevel.AtMostOnce)]
    [InlineData(MqttProtocolVersion.V311, MqttQualityOfServiceLevel.AtLeastOnce)]
    [InlineData(MqttProtocolVersion.V500, MqttQualityOfServiceLevel.AtMostOnce)]
    [InlineData(MqttProtocolVersion.V500, MqttQualityOfServiceLevel.ExactlyOnce)]
    public async Task SubscribeOnlyUserWhoPublishesIsDisconnected(MqttProtocolVersion version, MqttQualityOfServiceLevel qos)
    {
        string topic = NewTopic();
        var (subscriber, inbox) = await SubscriberAsync(topic);
        using var _ = subscriber;

        using var viewer = await Mqtt.ConnectAsync(Port, version, "viewer");
        var disconnected = new TaskCompletionSource<MqttClientDisconnectedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        viewer.DisconnectedAsync += e =>
        {
            disconnected.TrySetResult(e);
            return Task.CompletedTask;
        };

        // The viewer may still subscribe.
        var granted = await Mqtt.SubscribeAsync(viewer, (topic, MqttQualityOfServiceLevel.AtLeastOnce));
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, Assert.Single(granted.Items).ResultCode);

        var publish = Mqtt.PublishAsync(viewer, topic, "forbidden", qos);
        var args = await disconnected.Task.WaitAsync(Mqtt.Timeout);
        Assert.False(viewer.IsConnected);
        if (qos != MqttQualityOfServiceLevel.AtMostOnce)
        {
            // No PUBACK/PUBREC ever comes: the publish fails with the connection.
            await Assert.ThrowsAnyAsync<Exception>(() => publish);
        }
        else
        {
            await publish;
        }

        if (version == MqttProtocolVersion.V500)
        {
            Assert.Equal(MqttClientDisconnectReason.NotAuthorized, args.Reason); // DISCONNECT 0x87 before the close
        }

        await inbox.AssertEmptyAsync();
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task QoS2IsAcknowledgedButNotDelivered_QoS0And1AreDelivered(MqttProtocolVersion version)
    {
        string topic = NewTopic();
        var (subscriber, inbox) = await SubscriberAsync(topic);
        using var _ = subscriber;
        using var publisher = await Mqtt.ConnectAsync(Port, version, "bob");

        // PUBLISH, PUBREC, PUBREL, PUBCOMP all happen: MQTTnet reports success.
        var qos2 = await Mqtt.PublishAsync(publisher, topic, "two", MqttQualityOfServiceLevel.ExactlyOnce);
        Assert.True(qos2.IsSuccess, $"QoS 2 publish: {qos2.ReasonCode}");
        await inbox.AssertEmptyAsync();

        // The publisher is still connected and its QoS 0 and 1 messages go through (and nothing of the QoS 2 one comes late).
        Assert.True(publisher.IsConnected);
        await Mqtt.PublishAsync(publisher, topic, "zero", MqttQualityOfServiceLevel.AtMostOnce);
        var qos1 = await Mqtt.PublishAsync(publisher, topic, "one", MqttQualityOfServiceLevel.AtLeastOnce);
        Assert.True(qos1.IsSuccess, $"QoS 1 publish: {qos1.ReasonCode}");
        Assert.Equal("zero", (await inbox.NextAsync()).ConvertPayloadToString());
        Assert.Equal("one", (await inbox.NextAsync()).ConvertPayloadToString());

        // Another QoS 2 message from the same client completes as well (its packet identifier was released).
        var again = await Mqtt.PublishAsync(publisher, topic, "two again", MqttQualityOfServiceLevel.ExactlyOnce);
        Assert.True(again.IsSuccess, $"second QoS 2 publish: {again.ReasonCode}");
        await inbox.AssertEmptyAsync();
    }

    [Fact]
    public async Task MosquittoPub_QoS2CompletesButIsDropped_QoS1IsDelivered()
    {
        string topic = NewTopic();
        var (subscriber, inbox) = await SubscriberAsync(topic);
        using var subscription = subscriber;
        string[] common = ["-h", "127.0.0.1", "-p", Port.ToString(), "-u", "bob", "-t", topic];

        var (exitCode, _, error) = await Mqtt.RunAsync("mosquitto_pub", [.. common, "-q", "2", "-m", "two"]);
        Assert.True(exitCode == 0, $"QoS 2: exit {exitCode}: {error}");
        (exitCode, _, error) = await Mqtt.RunAsync("mosquitto_pub", [.. common, "-q", "1", "-m", "one"]);
        Assert.True(exitCode == 0, $"QoS 1: exit {exitCode}: {error}");

        Assert.Equal("one", (await inbox.NextAsync()).ConvertPayloadToString());
        await inbox.AssertEmptyAsync();
    }

    [Fact]
    public async Task MosquittoPubAsSubscribeOnlyUserFails()
    {
        string topic = NewTopic();
        var (subscriber, inbox) = await SubscriberAsync(topic);
        using var _ = subscriber;

        var (exitCode, _, _) = await Mqtt.RunAsync("mosquitto_pub", "-h", "127.0.0.1", "-p", Port.ToString(), "-u", "viewer", "-t", topic, "-q", "1", "-m", "forbidden");
        Assert.NotEqual(0, exitCode);
        await inbox.AssertEmptyAsync();
    }
}

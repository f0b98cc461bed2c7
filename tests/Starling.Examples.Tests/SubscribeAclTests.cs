using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Starling.Examples.SubscribeAcl;
using Starling.Hosting;

namespace Starling.Examples.Tests;

/// <summary>A broker running the SubscribeAcl example's hook, started refusing "secret/#" and "private/exact".</summary>
public sealed class SubscribeAclBroker : IAsyncLifetime
{
    public TestBroker Broker { get; private set; } = null!;

    public async Task InitializeAsync() => Broker = await TestBroker.StartAsync(
        builder =>
        {
            builder.Services.Configure<SubscribeAclOptions>(builder.Configuration.GetSection(SubscribeAclOptions.Section));
            builder.Services.AddStarlingHook<SubscribeAclHook>();
        },
        "--Acl:DeniedFilters:0=secret/#",
        "--Acl:DeniedFilters:1=private/exact");

    public async Task DisposeAsync() => await Broker.DisposeAsync();
}

public sealed class SubscribeAclTests(SubscribeAclBroker fixture) : IClassFixture<SubscribeAclBroker>
{
    private int Port => fixture.Broker.Port;

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task RootIsGrantedQoS2(MqttProtocolVersion version)
    {
        using var client = await Mqtt.ConnectAsync(Port, version, "root");
        var result = await Mqtt.SubscribeAsync(client, ("a/b", MqttQualityOfServiceLevel.ExactlyOnce), ("c/#", MqttQualityOfServiceLevel.AtLeastOnce));
        Assert.Equal([MqttClientSubscribeResultCode.GrantedQoS2, MqttClientSubscribeResultCode.GrantedQoS1], result.Items.Select(i => i.ResultCode));
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311, "alice")]
    [InlineData(MqttProtocolVersion.V500, "alice")]
    [InlineData(MqttProtocolVersion.V311, null)] // anonymous is not root either
    public async Task OthersAreCappedAtQoS1(MqttProtocolVersion version, string? username)
    {
        using var client = await Mqtt.ConnectAsync(Port, version, username);
        var result = await Mqtt.SubscribeAsync(
            client,
            ("a/b", MqttQualityOfServiceLevel.ExactlyOnce),
            ("a/c", MqttQualityOfServiceLevel.AtLeastOnce),
            ("a/d", MqttQualityOfServiceLevel.AtMostOnce));
        Assert.Equal(
            [MqttClientSubscribeResultCode.GrantedQoS1, MqttClientSubscribeResultCode.GrantedQoS1, MqttClientSubscribeResultCode.GrantedQoS0],
            result.Items.Select(i => i.ResultCode));
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311, "alice")]
    [InlineData(MqttProtocolVersion.V500, "alice")]
    [InlineData(MqttProtocolVersion.V500, "root")] // the deny list applies to root too
    public async Task DeniedFiltersGet0x80WhileTheOthersAreGranted(MqttProtocolVersion version, string username)
    {
        using var client = await Mqtt.ConnectAsync(Port, version, username);
        var result = await Mqtt.SubscribeAsync(
            client,
            ("secret/#", MqttQualityOfServiceLevel.AtLeastOnce), // exactly the denied filter
            ("public/#", MqttQualityOfServiceLevel.AtLeastOnce),
            ("secret/a/b", MqttQualityOfServiceLevel.AtMostOnce), // inside the denied filter
            ("secret/+/c", MqttQualityOfServiceLevel.AtMostOnce),
            ("private/exact", MqttQualityOfServiceLevel.AtMostOnce),
            ("private/other", MqttQualityOfServiceLevel.AtMostOnce));
        Assert.Equal(
            [
                MqttClientSubscribeResultCode.UnspecifiedError,
                MqttClientSubscribeResultCode.GrantedQoS1,
                MqttClientSubscribeResultCode.UnspecifiedError,
                MqttClientSubscribeResultCode.UnspecifiedError,
                MqttClientSubscribeResultCode.UnspecifiedError,
                MqttClientSubscribeResultCode.GrantedQoS0,
            ],
            result.Items.Select(i => i.ResultCode));
        Assert.Equal(0x80, (int)MqttClientSubscribeResultCode.UnspecifiedError);
    }

    [Fact]
    public async Task ASharedSubscriptionDoesNotGetAroundTheDenyList()
    {
        using var client = await Mqtt.ConnectAsync(Port, MqttProtocolVersion.V500, "alice");
        var result = await Mqtt.SubscribeAsync(client, ("$share/g/secret/x", MqttQualityOfServiceLevel.AtMostOnce), ("$share/g/public/x", MqttQualityOfServiceLevel.AtMostOnce));
        Assert.Equal([MqttClientSubscribeResultCode.UnspecifiedError, MqttClientSubscribeResultCode.GrantedQoS0], result.Items.Select(i => i.ResultCode));
    }

    [Fact]
    public async Task ABroaderFilterIsGranted_AsDocumented()
    {
        // The ACL only refuses filters inside a denied one; "#" overlaps "secret/#" but is granted (see SubscribeAclOptions).
        using var client = await Mqtt.ConnectAsync(Port, MqttProtocolVersion.V311, "alice");
        var result = await Mqtt.SubscribeAsync(client, ("#", MqttQualityOfServiceLevel.AtMostOnce));
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS0, Assert.Single(result.Items).ResultCode);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task MessagesOnADeniedTopicAreNotReceived(MqttProtocolVersion version)
    {
        using var subscriber = await Mqtt.ConnectAsync(Port, version, "alice");
        var inbox = new Inbox(subscriber);
        string id = Guid.NewGuid().ToString("N")[..8];
        await Mqtt.SubscribeAsync(subscriber, ($"secret/{id}", MqttQualityOfServiceLevel.AtLeastOnce), ($"public/{id}", MqttQualityOfServiceLevel.AtLeastOnce));

        using var publisher = await Mqtt.ConnectAsync(Port, version, "root");
        await Mqtt.PublishAsync(publisher, $"secret/{id}", "hidden", MqttQualityOfServiceLevel.AtLeastOnce);
        await Mqtt.PublishAsync(publisher, $"public/{id}", "visible", MqttQualityOfServiceLevel.AtLeastOnce);

        // Messages from one publisher arrive in order: had the secret one been routed, it would come first.
        var message = await inbox.NextAsync();
        Assert.Equal($"public/{id}", message.Topic);
        Assert.Equal("visible", message.ConvertPayloadToString());
        await inbox.AssertEmptyAsync();
    }

    [Theory]
    [InlineData("mqttv311")]
    [InlineData("mqttv5")]
    public async Task MosquittoSubGetsOnlyTheAllowedRetainedMessage(string version)
    {
        string id = Guid.NewGuid().ToString("N")[..8];
        using (var publisher = await Mqtt.ConnectAsync(Port, MqttProtocolVersion.V311, "root"))
        {
            await Mqtt.PublishAsync(publisher, $"secret/{id}", "hidden", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);
            await Mqtt.PublishAsync(publisher, $"public/{id}", "visible", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);
            await publisher.DisconnectAsync();
        }

        // The denied filter comes first: had it been granted, its retained message would be the first one printed.
        var (exitCode, output, error) = await Mqtt.RunAsync(
            "mosquitto_sub", "-h", "127.0.0.1", "-p", Port.ToString(), "-V", version, "-u", "alice", "-q", "2",
            "-t", $"secret/{id}", "-t", $"public/{id}", "-C", "1", "-W", "4", "-v");
        Assert.True(exitCode == 0, $"exit {exitCode}: {error}");
        Assert.Equal($"public/{id} visible", output.Trim());
    }
}

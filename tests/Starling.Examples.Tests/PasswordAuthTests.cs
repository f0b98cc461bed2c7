using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MQTTnet.Formatter;
using Starling.Examples.PasswordAuth;
using Starling.Hosting;

namespace Starling.Examples.Tests;

/// <summary>A broker running the PasswordAuth example's hook with users alice/secret and bob/hunter2.</summary>
public sealed class PasswordAuthBroker : IAsyncLifetime
{
    public TestBroker Broker { get; private set; } = null!;

    public async Task InitializeAsync() => Broker = await TestBroker.StartAsync(
        builder =>
        {
            builder.Services.Configure<PasswordAuthOptions>(builder.Configuration.GetSection(PasswordAuthOptions.Section));
            builder.Services.AddStarlingHook<PasswordAuthHook>();
        },
        "--Auth:Users:alice=secret",
        "--Auth:Users:bob=hunter2");

    public async Task DisposeAsync() => await Broker.DisposeAsync();
}

public sealed class PasswordAuthTests(PasswordAuthBroker fixture) : IClassFixture<PasswordAuthBroker>
{
    private int Port => fixture.Broker.Port;

    [Theory]
    [InlineData(MqttProtocolVersion.V311, "alice", "secret")]
    [InlineData(MqttProtocolVersion.V500, "alice", "secret")]
    [InlineData(MqttProtocolVersion.V311, "bob", "hunter2")]
    [InlineData(MqttProtocolVersion.V500, "bob", "hunter2")]
    public async Task RightPasswordConnects(MqttProtocolVersion version, string username, string password)
    {
        using var client = await Mqtt.ConnectAsync(Port, version, username, password);
        Assert.True(client.IsConnected);
        await client.DisconnectAsync();
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311, "alice", "wrong")]
    [InlineData(MqttProtocolVersion.V500, "alice", "wrong")]
    [InlineData(MqttProtocolVersion.V311, "alice", "hunter2")] // another user's password
    [InlineData(MqttProtocolVersion.V500, "alice", "secre")] // a prefix of the right one
    [InlineData(MqttProtocolVersion.V311, "alice", "")]
    [InlineData(MqttProtocolVersion.V311, "mallory", "secret")] // unknown user
    [InlineData(MqttProtocolVersion.V500, "Alice", "secret")] // user names are case-sensitive
    [InlineData(MqttProtocolVersion.V311, null, null)] // no credentials at all
    [InlineData(MqttProtocolVersion.V500, null, null)]
    public async Task BadOrMissingCredentialsAreRefused(MqttProtocolVersion version, string? username, string? password)
    {
        using var client = Mqtt.NewClient();
        using var cts = new CancellationTokenSource(Mqtt.Timeout);

        // MQTTnet 5 returns the refusing CONNACK's code rather than throwing (3.1.1 return code 4 maps to 0x86 too).
        var result = await client.ConnectAsync(Mqtt.Options(Port, version, username, password).Build(), cts.Token);
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, result.ResultCode);
        Assert.False(client.IsConnected);
    }

    [Fact]
    public async Task V311ClientGetsReturnCode4()
    {
        var response = await RawMqtt.ExchangeAsync(Port, RawMqtt.Connect(4, "raw311", "alice", "wrong"));

        // CONNACK, remaining length 2, session present 0, return code 4 "bad user name or password"; then the broker closes.
        Assert.Equal(new byte[] { 0x20, 0x02, 0x00, 0x04 }, response);
    }

    [Fact]
    public async Task V311UserNameWithoutPasswordGetsReturnCode4()
    {
        var response = await RawMqtt.ExchangeAsync(Port, RawMqtt.Connect(4, "raw311b", "alice", password: null));
        Assert.Equal(new byte[] { 0x20, 0x02, 0x00, 0x04 }, response);
    }

    [Fact]
    public async Task V500ClientGetsReason0x86()
    {
        var response = await RawMqtt.ExchangeAsync(Port, RawMqtt.Connect(5, "raw500", "alice", "wrong"));

        // CONNACK, then (remaining length), session present 0, reason code 0x86, then properties.
        Assert.True(response.Length >= 4, $"Got {Convert.ToHexString(response)}");
        Assert.Equal(0x20, response[0]);
        Assert.Equal(response.Length - 2, response[1]);
        Assert.Equal(0x00, response[2]);
        Assert.Equal(0x86, response[3]);
    }

    [Fact]
    public async Task V500RefusalCarriesAReasonString()
    {
        using var client = Mqtt.NewClient();
        using var cts = new CancellationTokenSource(Mqtt.Timeout);
        var result = await client.ConnectAsync(Mqtt.Options(Port, MqttProtocolVersion.V500, "alice", "wrong").Build(), cts.Token);
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, result.ResultCode);
        Assert.Equal("Bad user name or password", result.ReasonString);
    }

    [Theory]
    [InlineData("mqttv311")]
    [InlineData("mqttv5")]
    public async Task MosquittoPubWithRightPasswordPublishes(string version)
    {
        var (exitCode, _, error) = await Mqtt.RunAsync("mosquitto_pub", "-h", "127.0.0.1", "-p", Port.ToString(), "-V", version, "-u", "alice", "-P", "secret", "-t", "t/a", "-m", "hello", "-q", "1");
        Assert.True(exitCode == 0, error);
    }

    [Theory]
    [InlineData("mqttv311", "-u", "alice", "-P", "wrong")]
    [InlineData("mqttv5", "-u", "alice", "-P", "wrong")]
    [InlineData("mqttv311", "-u", "nobody", "-P", "secret")]
    [InlineData("mqttv311")]
    public async Task MosquittoPubWithBadCredentialsFails(string version, params string[] credentials)
    {
        var (exitCode, _, error) = await Mqtt.RunAsync("mosquitto_pub", ["-h", "127.0.0.1", "-p", Port.ToString(), "-V", version, .. credentials, "-t", "t/a", "-m", "hello", "-q", "1"]);
        Assert.NotEqual(0, exitCode);
        Assert.Contains("name or password", error, StringComparison.OrdinalIgnoreCase);
    }
}

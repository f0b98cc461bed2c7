using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Starling.Broker.Hooks;
using Starling.Hosting;
using MqttReasonCode = Starling.Mqtt.MqttReasonCode;

namespace Starling.Security.Tests;

/// <summary>A broker started from configuration with a password file and an ACL file, driven by MQTTnet and mosquitto clients.</summary>
public sealed class BrokerSecurityTests : IAsyncLifetime
{
    private const string AclText = """
        user alice
        topic read sensors/#
        topic write sensors/alice/#

        user bob
        topic readwrite secret/#
        topic write sensors/#

        pattern readwrite users/%u/#
        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("starling-security-").FullName;
    private readonly CountingHook _userHook = new();
    private IHost _host = null!;
    private string _aclPath = null!;
    private int _port;

    public async Task InitializeAsync()
    {
        var passwords = new PasswordFile();
        passwords.SetPassword("alice", "alice-pw", 1000); // few iterations: the tests connect often
        passwords.SetPassword("bob", "bob-pw", 1000);
        string passwordPath = Path.Combine(_directory, "passwd");
        passwords.Save(passwordPath);
        string aclPath = _aclPath = Path.Combine(_directory, "acl");
        await File.WriteAllTextAsync(aclPath, AclText);

        var builder = StarlingHost.CreateBuilder(["--port", "0", "--bind", IPAddress.Loopback.ToString(), "--Logging:LogLevel:Default=Warning", $"--Starling:PasswordFile={passwordPath}", $"--Starling:AclFile={aclPath}"]);
        builder.Services.AddStarlingHook(_userHook); // added before AddStarling: the file hooks still come first
        builder.Services.AddStarling(builder.Configuration);
        _host = builder.Build();
        await _host.StartAsync();
        _port = _host.Services.GetRequiredService<StarlingHostedService>().GetEndPoint("tcp").Port;
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task HooksFromFiles_RunFirst_AndUserHooksComposeAfterThem()
    {
        var hooks = _host.Services.GetServices<BrokerHook>().ToArray();
        Assert.IsType<PasswordFileHook>(hooks[0]);
        Assert.IsType<AclHook>(hooks[1]);
        Assert.Same(_userHook, hooks[2]);

        int before = _userHook.Connects;
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, await ConnectResultAsync("x1", "alice", "wrong", MqttProtocolVersion.V500));
        Assert.Equal(before, _userHook.Connects); // the refusal stopped the chain
        await using var ok = await ConnectAsync("x2", "alice", "alice-pw", MqttProtocolVersion.V500);
        Assert.Equal("alice", _userHook.LastUser);
    }

    [Fact]
    public async Task Mosquitto311_RightPassword_Connects_WrongPasswordOrUnknownUser_GetsCode4_NoUserName_GetsCode5()
    {
        var ok = await RunAsync("mosquitto_pub", ["-V", "mqttv311", "-u", "alice", "-P", "alice-pw", "-t", "sensors/alice/t", "-m", "1"]);
        Assert.True(ok.ExitCode == 0, ok.Error);

        foreach (var (user, password) in new[] { ("alice", "nope"), ("mallory", "alice-pw") })
        {
            var refused = await RunAsync("mosquitto_pub", ["-V", "mqttv311", "-u", user, "-P", password, "-t", "sensors/alice/t", "-m", "1"]);
            Assert.NotEqual(0, refused.ExitCode);
            Assert.Contains("bad user name or password", refused.Error, StringComparison.OrdinalIgnoreCase); // return code 4
        }

        var anonymous = await RunAsync("mosquitto_pub", ["-V", "mqttv311", "-t", "sensors/alice/t", "-m", "1"]);
        Assert.NotEqual(0, anonymous.ExitCode);
        Assert.Contains("not authori", anonymous.Error, StringComparison.OrdinalIgnoreCase); // return code 5
    }

    [Fact]
    public async Task Mqtt5_WrongPassword_Gets0x86_NoUserName_Gets0x87()
    {
        var wrong = await ConnectResultAsync("w1", "bob", "alice-pw", MqttProtocolVersion.V500);
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, wrong);
        var unknown = await ConnectResultAsync("w2", "mallory", "x", MqttProtocolVersion.V500);
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, unknown);
        var anonymous = await ConnectResultAsync("w3", null, null, MqttProtocolVersion.V500);
        Assert.Equal(MqttClientConnectResultCode.NotAuthorized, anonymous);
        await using var right = await ConnectAsync("w4", "bob", "bob-pw", MqttProtocolVersion.V500);
        Assert.True(right.Client.IsConnected);
    }

    [Fact]
    public async Task AUserAllowedToRead_Sensors_ButNotSecret_GetsOnlyWhatTheAclGrants()
    {
        await using var bob = await ConnectAsync("r-bob", "bob", "bob-pw", MqttProtocolVersion.V500);
        await bob.Client.PublishAsync(Message("secret/code", "1234", retain: true));
        await bob.Client.PublishAsync(Message("sensors/kitchen/temp", "21", retain: true));

        await using var alice = await ConnectAsync("r-alice", "alice", "alice-pw", MqttProtocolVersion.V500);
        var result = await alice.Client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter("sensors/#", MqttQualityOfServiceLevel.AtLeastOnce)
            .WithTopicFilter("secret/#", MqttQualityOfServiceLevel.AtLeastOnce)
            .WithTopicFilter("#", MqttQualityOfServiceLevel.AtLeastOnce)
            .WithTopicFilter("$share/g/secret/#", MqttQualityOfServiceLevel.AtLeastOnce)
            .Build());
        Assert.Equal(
            [MqttClientSubscribeResultCode.GrantedQoS1, MqttClientSubscribeResultCode.NotAuthorized, MqttClientSubscribeResultCode.NotAuthorized, MqttClientSubscribeResultCode.NotAuthorized],
            result.Items.Select(i => i.ResultCode));

        var retained = alice.Next();
        Assert.Equal("sensors/kitchen/temp", retained.Topic);
        await bob.Client.PublishAsync(Message("secret/code", "5678"));
        await bob.Client.PublishAsync(Message("sensors/kitchen/temp", "22"));
        Assert.Equal("22", Encoding.UTF8.GetString(alice.Next().Payload));
        Assert.Null(alice.Next(TimeSpan.FromMilliseconds(300))); // nothing of secret/, retained or live

        // 3.1.1 sees 0x80 for a refused filter.
        var sub = await RunAsync("mosquitto_sub", ["-V", "mqttv311", "-u", "alice", "-P", "alice-pw", "-t", "secret/#", "-C", "1", "-W", "2"]);
        Assert.Contains("All subscription requests were denied", sub.Error, StringComparison.Ordinal); // mosquitto_sub's words for SUBACK 0x80
    }

    [Fact]
    public async Task PublishWithoutWritePermission_IsNotDelivered_Mqtt5Gets0x87_Mqtt311IsAcknowledged()
    {
        await using var bob = await ConnectAsync("p-bob", "bob", "bob-pw", MqttProtocolVersion.V500);
        await bob.Client.SubscribeAsync("secret/#", MqttQualityOfServiceLevel.AtLeastOnce);

        await using var alice5 = await ConnectAsync("p-alice5", "alice", "alice-pw", MqttProtocolVersion.V500);
        var refused = await alice5.Client.PublishAsync(Message("secret/code", "x"));
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, refused.ReasonCode);

        await using var alice3 = await ConnectAsync("p-alice3", "alice", "alice-pw", MqttProtocolVersion.V311);
        var acknowledged = await alice3.Client.PublishAsync(Message("secret/code", "y"));
        Assert.True(acknowledged.IsSuccess);

        var mosquitto = await RunAsync("mosquitto_pub", ["-V", "mqttv311", "-u", "alice", "-P", "alice-pw", "-t", "secret/code", "-m", "z", "-q", "1"]);
        Assert.Equal(0, mosquitto.ExitCode);

        Assert.Null(bob.Next(TimeSpan.FromMilliseconds(500)));
        await bob.Client.PublishAsync(Message("secret/code", "from bob"));
        Assert.Equal("from bob", Encoding.UTF8.GetString(bob.Next().Payload));
    }

    [Fact]
    public async Task PercentU_Pattern_GivesEachUserTheirOwnTree()
    {
        await using var alice = await ConnectAsync("u-alice", "alice", "alice-pw", MqttProtocolVersion.V500);
        var own = await alice.Client.SubscribeAsync("users/alice/#", MqttQualityOfServiceLevel.AtLeastOnce);
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, own.Items.Single().ResultCode);
        var other = await alice.Client.SubscribeAsync("users/bob/#", MqttQualityOfServiceLevel.AtLeastOnce);
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, other.Items.Single().ResultCode);

        var published = await alice.Client.PublishAsync(Message("users/alice/inbox", "hi"));
        Assert.Equal(MqttClientPublishReasonCode.Success, published.ReasonCode);
        Assert.Equal("users/alice/inbox", alice.Next().Topic);

        var mosquitto = await RunAsync("mosquitto_pub", ["-V", "mqttv5", "-u", "bob", "-P", "bob-pw", "-t", "users/alice/inbox", "-m", "from bob", "-q", "1"]);
        Assert.Contains("not authori", mosquitto.Error, StringComparison.OrdinalIgnoreCase); // PUBACK 0x87
        Assert.Null(alice.Next(TimeSpan.FromMilliseconds(300)));
    }

    [Fact]
    public async Task DefaultDeny_RefusesTopicsNoRuleMentions()
    {
        await using var alice = await ConnectAsync("d-alice", "alice", "alice-pw", MqttProtocolVersion.V500);
        var sub = await alice.Client.SubscribeAsync("weather/#", MqttQualityOfServiceLevel.AtMostOnce);
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, sub.Items.Single().ResultCode);
        var pub = await alice.Client.PublishAsync(Message("weather/today", "sun"));
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, pub.ReasonCode);
    }

    [Fact]
    public async Task AWill_OnATopicTheClientMayNotWrite_RefusesTheConnect()
    {
        var refused = await ConnectResultAsync("will-1", "alice", "alice-pw", MqttProtocolVersion.V500, o => o.WithWillTopic("secret/alice-gone").WithWillPayload("bye"));
        Assert.Equal(MqttClientConnectResultCode.NotAuthorized, refused);

        await using var watcher = await ConnectAsync("will-w", "alice", "alice-pw", MqttProtocolVersion.V500);
        await watcher.Client.SubscribeAsync("sensors/#", MqttQualityOfServiceLevel.AtLeastOnce);
        var allowed = await ConnectAsync("will-2", "alice", "alice-pw", MqttProtocolVersion.V500, o => o.WithWillTopic("sensors/alice/status").WithWillPayload("gone"));
        allowed.Client.Dispose(); // dropped without DISCONNECT: the will is published
        var will = watcher.Next(TimeSpan.FromSeconds(10));
        Assert.NotNull(will);
        Assert.Equal("sensors/alice/status", will.Topic);
        await allowed.DisposeAsync();
    }

    [Fact]
    public async Task AclReload_WithdrawsSubscriptionsAndQueuedMessagesTheNewRulesRefuse_OfConnectedAndOfflineSessions()
    {
        await using var alice = await ConnectAsync("rv-alice", "alice", "alice-pw", MqttProtocolVersion.V500);
        await alice.Client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("sensors/#", MqttQualityOfServiceLevel.AtLeastOnce).Build());
        var offline = await ConnectAsync("rv-offline", "alice", "alice-pw", MqttProtocolVersion.V500, o => o.WithCleanStart(false).WithSessionExpiryInterval(600));
        await offline.Client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter("sensors/#", MqttQualityOfServiceLevel.AtLeastOnce)
            .WithTopicFilter("users/alice/#", MqttQualityOfServiceLevel.AtLeastOnce).Build());
        await offline.DisposeAsync();
        await using var bob = await ConnectAsync("rv-bob", "bob", "bob-pw", MqttProtocolVersion.V500);
        await bob.Client.PublishAsync(Message("sensors/hall", "before"));
        Assert.Equal("before", Encoding.UTF8.GetString(alice.Next().Payload));
        await alice.Client.PublishAsync(Message("users/alice/note", "kept")); // queued for the offline session too

        // alice may no longer read sensors/: nobody connects or subscribes meanwhile, the reload alone withdraws it.
        var broker = _host.Services.GetRequiredService<Starling.Broker.MqttBroker>();
        int subscriptions = broker.SubscriptionCount;
        await File.WriteAllTextAsync(_aclPath, AclText.Replace("topic read sensors/#", "topic read other/#", StringComparison.Ordinal));
        var deadline = Stopwatch.StartNew();
        while (broker.SubscriptionCount > subscriptions - 2 && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(50);
        }

        Assert.Equal(subscriptions - 2, broker.SubscriptionCount);
        await bob.Client.PublishAsync(Message("sensors/hall", "after"));
        Assert.Null(alice.Next(TimeSpan.FromMilliseconds(500)));

        // The offline session lost its sensors/ subscription too, and the sensors/ message queued before the reload
        // is dropped as mosquitto drops what a client may no longer read; the message it may still read is kept.
        await using var back = await ConnectAsync("rv-offline", "alice", "alice-pw", MqttProtocolVersion.V500, o => o.WithCleanStart(false).WithSessionExpiryInterval(600));
        var kept = back.Next();
        Assert.NotNull(kept);
        Assert.Equal("users/alice/note", kept.Topic);
        Assert.Equal("kept", Encoding.UTF8.GetString(kept.Payload));
        Assert.Null(back.Next(TimeSpan.FromMilliseconds(500)));
    }

    private static MqttApplicationMessage Message(string topic, string payload, bool retain = false) =>
        new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithRetainFlag(retain).Build();

    private async Task<TestClient> ConnectAsync(string clientId, string? user, string? password, MqttProtocolVersion version, Action<MqttClientOptionsBuilder>? configure = null)
    {
        var client = new TestClient(new MqttClientFactory().CreateMqttClient());
        var options = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", _port).WithClientId(clientId).WithProtocolVersion(version).WithTimeout(TimeSpan.FromSeconds(10));
        if (user is not null)
        {
            options.WithCredentials(user, password);
        }

        configure?.Invoke(options);
        var result = await client.Client.ConnectAsync(options.Build());
        if (result.ResultCode != MqttClientConnectResultCode.Success)
        {
            await client.DisposeAsync();
        }

        Assert.Equal(MqttClientConnectResultCode.Success, result.ResultCode);
        return client;
    }

    private async Task<MqttClientConnectResultCode> ConnectResultAsync(string clientId, string? user, string? password, MqttProtocolVersion version, Action<MqttClientOptionsBuilder>? configure = null)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        var options = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", _port).WithClientId(clientId).WithProtocolVersion(version).WithTimeout(TimeSpan.FromSeconds(10));
        if (user is not null)
        {
            options.WithCredentials(user, password);
        }

        configure?.Invoke(options);
        var result = await client.ConnectAsync(options.Build());
        return result.ResultCode;
    }

    private async Task<(int ExitCode, string Output, string Error)> RunAsync(string tool, string[] arguments)
    {
        var info = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["-h", "127.0.0.1", "-p", _port.ToString(System.Globalization.CultureInfo.InvariantCulture), .. arguments])
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        return (process.ExitCode, await output, await error);
    }

    private sealed class TestClient : IAsyncDisposable
    {
        private readonly BlockingCollection<MqttApplicationMessage> _received = [];

        public TestClient(IMqttClient client)
        {
            Client = client;
            client.ApplicationMessageReceivedAsync += e =>
            {
                _received.Add(e.ApplicationMessage);
                return Task.CompletedTask;
            };
        }

        public IMqttClient Client { get; }

        public MqttApplicationMessage Next() => Next(TimeSpan.FromSeconds(5)) ?? throw new TimeoutException("no message within 5 s");

        public MqttApplicationMessage? Next(TimeSpan timeout) => _received.TryTake(out var message, timeout) ? message : null;

        public async ValueTask DisposeAsync()
        {
            try
            {
                if (Client.IsConnected)
                {
                    await Client.DisconnectAsync();
                }
            }
            catch (Exception)
            {
                // best effort
            }

            Client.Dispose();
        }
    }

    private sealed class CountingHook : BrokerHook
    {
        private int _connects;

        public int Connects => _connects;

        public string? LastUser { get; private set; }

        public override ValueTask<MqttReasonCode> OnConnectAsync(ConnectContext context, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _connects);
            LastUser = context.Client.Username;
            return ValueTask.FromResult(MqttReasonCode.Success);
        }
    }
}

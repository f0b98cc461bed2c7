using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Formatter;
using Starling.Broker.Hooks;
using Starling.Examples.AcceptFilter;
using Starling.Hosting;

namespace Starling.Examples.Tests;

/// <summary>The example's hook, counting the OnClose and OnStop calls it logs.</summary>
public sealed class CountingAcceptFilterHook(params string[] blocked)
    : AcceptFilterHook(Microsoft.Extensions.Options.Options.Create(Blocked(blocked)), NullLogger<AcceptFilterHook>.Instance)
{
    private int _stops;

    public ConcurrentQueue<CloseContext> Closes { get; } = new();

    public int Stops => Volatile.Read(ref _stops);

    public override async ValueTask OnCloseAsync(CloseContext context, CancellationToken cancellationToken)
    {
        await base.OnCloseAsync(context, cancellationToken);
        Closes.Enqueue(context);
    }

    public override async ValueTask OnStopAsync(CancellationToken cancellationToken)
    {
        await base.OnStopAsync(cancellationToken);
        Interlocked.Increment(ref _stops);
    }

    private static AcceptFilterOptions Blocked(string[] blocked)
    {
        var options = new AcceptFilterOptions();
        options.Blocked.AddRange(blocked);
        return options;
    }
}

public sealed class AcceptFilterTests
{
    private static Task<TestBroker> StartAsync(BrokerHook hook, params string[] args) =>
        TestBroker.StartAsync(builder => builder.Services.AddStarlingHook(hook), args);

    [Theory]
    [InlineData("::")] // dual-mode listener: the client appears as ::ffff:127.0.0.1
    [InlineData("127.0.0.1")]
    public async Task BlockedAddressIsClosedBeforeConnAck(string bindAddress)
    {
        var hook = new CountingAcceptFilterHook("10.0.0.0/8", "127.0.0.1");
        await using var broker = await StartAsync(hook, "--bind", bindAddress);

        using var client = Mqtt.NewClient();
        await Assert.ThrowsAnyAsync<Exception>(() => client.ConnectAsync(Mqtt.Options(broker.Port, MqttProtocolVersion.V311).Build()));
        Assert.False(client.IsConnected);

        // At the byte level: the broker closes the socket without sending anything, even after a CONNECT.
        Assert.Empty(await RawMqtt.ExchangeAsync(broker.Port, []));
        Assert.Empty(await RawMqtt.ExchangeAsync(broker.Port, RawMqtt.Connect(4, "raw", null, null)));

        await broker.StopAsync();
        Assert.Empty(hook.Closes); // refused in OnAccept: no MQTT connection, so no OnClose
        Assert.Equal(1, hook.Stops);
    }

    [Fact]
    public async Task BlockedRangeRefusesMosquittoPub()
    {
        await using var broker = await StartAsync(new CountingAcceptFilterHook("127.0.0.0/8"));
        var (exitCode, _, _) = await Mqtt.RunAsync("mosquitto_pub", "-h", "127.0.0.1", "-p", broker.Port.ToString(), "-t", "t", "-m", "x");
        Assert.NotEqual(0, exitCode);
    }

    [Fact]
    public async Task AllowedAddressConnects_OnCloseAndOnStopAreCalled()
    {
        var hook = new CountingAcceptFilterHook("10.0.0.0/8", "192.0.2.7", "2001:db8::/32");
        await using var broker = await StartAsync(hook);

        using (var client = await Mqtt.ConnectAsync(broker.Port, MqttProtocolVersion.V500))
        {
            await client.DisconnectAsync();
        }

        var (exitCode, _, error) = await Mqtt.RunAsync("mosquitto_pub", "-h", "127.0.0.1", "-p", broker.Port.ToString(), "-t", "t", "-m", "x");
        Assert.True(exitCode == 0, $"exit {exitCode}: {error}");

        using var stillConnected = await Mqtt.ConnectAsync(broker.Port, MqttProtocolVersion.V311);
        await broker.StopAsync(); // closes the last client, waits for its OnClose, then runs OnStop

        Assert.Equal(1, hook.Stops);
        var reasons = hook.Closes.Select(c => c.Reason).ToList();
        Assert.Equal(3, reasons.Count);
        Assert.Equal(2, reasons.Count(r => r == CloseReason.ClientDisconnected));
        Assert.Equal(1, reasons.Count(r => r == CloseReason.ServerShutdown));
        Assert.All(hook.Closes, c => Assert.NotNull(c.Client));
    }

    [Fact]
    public async Task OnlyTheBlockedLoopbackAddressIsRefused()
    {
        // 127.0.0.1 is blocked; the same client binding its local end to 127.0.0.2 gets in.
        await using var broker = await StartAsync(new CountingAcceptFilterHook("127.0.0.1"));

        using var refused = Mqtt.NewClient();
        await Assert.ThrowsAnyAsync<Exception>(() => refused.ConnectAsync(Mqtt.Options(broker.Port, MqttProtocolVersion.V311).Build()));

        var options = Mqtt.Options(broker.Port, MqttProtocolVersion.V311).Build();
        ((MqttClientTcpOptions)options.ChannelOptions).LocalEndpoint = new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0);
        using var allowed = Mqtt.NewClient();
        using var cts = new CancellationTokenSource(Mqtt.Timeout);
        var result = await allowed.ConnectAsync(options, cts.Token);
        Assert.Equal(MqttClientConnectResultCode.Success, result.ResultCode);

        string[] publish = ["-h", "127.0.0.1", "-p", broker.Port.ToString(), "-t", "t", "-m", "x"];
        var (exitCode, _, error) = await Mqtt.RunAsync("mosquitto_pub", [.. publish, "-A", "127.0.0.2"]);
        Assert.True(exitCode == 0, $"exit {exitCode}: {error}");
        (exitCode, _, _) = await Mqtt.RunAsync("mosquitto_pub", publish);
        Assert.NotEqual(0, exitCode);
    }

    [Fact]
    public void AnInvalidEntryFailsAtStartup()
    {
        Assert.ThrowsAny<FormatException>(() => new CountingAcceptFilterHook("not-an-address"));
        Assert.ThrowsAny<FormatException>(() => new CountingAcceptFilterHook("10.0.0.0/99"));
    }
}

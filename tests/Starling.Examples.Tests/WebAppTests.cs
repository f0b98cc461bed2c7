using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Starling.Examples.WebApp;
using Starling.Hosting;

namespace Starling.Examples.Tests;

/// <summary>The WebApp example, built as its Program.cs builds it, on free ports: the app's Kestrel and the broker's TCP port.</summary>
public sealed class WebAppFixture : IAsyncLifetime
{
    public WebApplication App { get; private set; } = null!;

    public Uri Http { get; private set; } = null!;

    public int MqttPort { get; private set; }

    public async Task InitializeAsync()
    {
        App = EmbeddedBrokerApp.Build(["--urls", "http://127.0.0.1:0", "--MqttPort", "0", "--Logging:LogLevel:Default=Warning"]);
        await App.StartAsync();
        Http = new Uri(App.Urls.Single());
        MqttPort = App.Services.GetRequiredService<StarlingHostedService>().Listeners.Single().LocalEndPoint!.Port;
    }

    public async Task DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await App.StopAsync(timeout.Token);
        await App.DisposeAsync();
    }
}

public sealed class WebAppTests(WebAppFixture fixture) : IClassFixture<WebAppFixture>
{
    private static readonly HttpClient Client = new(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = Mqtt.Timeout };

    [Fact]
    public async Task TheAppsOwnEndpoint_AnswersOnTheSameKestrel()
    {
        string body = await Client.GetStringAsync(new Uri(fixture.Http, "/"));
        Assert.StartsWith("Starling.Examples.WebApp:", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMosquittoPublish_IsRecordedByTheDiHook_AndShownByTheAppsEndpoint()
    {
        string value = Guid.NewGuid().ToString("N")[..8];
        var (exit, _, error) = await Mqtt.RunAsync("mosquitto_pub", "-h", "127.0.0.1", "-p", fixture.MqttPort.ToString(CultureInfo.InvariantCulture), "-t", "sensors/kitchen", "-m", value, "-q", "1");
        Assert.True(exit == 0, error);

        string readings = "";
        await Poll.UntilAsync(() =>
        {
            readings = Client.GetStringAsync(new Uri(fixture.Http, "/readings")).GetAwaiter().GetResult();
            return readings.Contains(value, StringComparison.Ordinal);
        }, "the reading at GET /readings");
        Assert.Contains($"\"sensors/kitchen\":\"{value}\"", readings, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AWebSocketClientOnTheAppsPort_ReceivesWhatMosquittoPublishesOverTcp()
    {
        using var ws = Mqtt.NewClient();
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        ws.ApplicationMessageReceivedAsync += e =>
        {
            received.TrySetResult(e.ApplicationMessage.ConvertPayloadToString());
            return Task.CompletedTask;
        };
        var options = new MqttClientOptionsBuilder()
            .WithWebSocketServer(o => o.WithUri($"ws://127.0.0.1:{fixture.Http.Port}/mqtt"))
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId("ws-" + Guid.NewGuid().ToString("N")[..8])
            .WithTimeout(Mqtt.Timeout)
            .Build();
        using var cts = new CancellationTokenSource(Mqtt.Timeout);
        Assert.Equal(MqttClientConnectResultCode.Success, (await ws.ConnectAsync(options, cts.Token)).ResultCode);
        await Mqtt.SubscribeAsync(ws, ("over/ws", MqttQualityOfServiceLevel.AtLeastOnce));

        var (exit, _, error) = await Mqtt.RunAsync("mosquitto_pub", "-h", "127.0.0.1", "-p", fixture.MqttPort.ToString(CultureInfo.InvariantCulture), "-t", "over/ws", "-m", "from-tcp", "-q", "1");
        Assert.True(exit == 0, error);
        Assert.Equal("from-tcp", await received.Task.WaitAsync(Mqtt.Timeout));
        await ws.DisconnectAsync();
    }

    [Fact]
    public async Task TheMonitor_IsServedUnderItsPrefix_OnTheAppsPort_AndNotOnItsOwn()
    {
        using var redirect = await Client.GetAsync(new Uri(fixture.Http, "/starling"));
        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        Assert.Equal("/starling/", redirect.Headers.Location!.OriginalString);

        string page = await Client.GetStringAsync(new Uri(fixture.Http, "/starling/"));
        Assert.Contains("<html", page, StringComparison.OrdinalIgnoreCase);
        string broker = await Client.GetStringAsync(new Uri(fixture.Http, "/starling/api/v1/broker"));
        Assert.Contains("\"version\"", broker, StringComparison.Ordinal);

        // Prometheus metrics under the same prefix, with the broker's own instruments.
        string metrics = await Client.GetStringAsync(new Uri(fixture.Http, "/starling/metrics"));
        Assert.Contains("starling_", metrics, StringComparison.Ordinal);

        // MonitorListener = false: the broker opened its TCP listener only, no http listener of its own.
        var listeners = fixture.App.Services.GetRequiredService<StarlingHostedService>().Listeners;
        Assert.Equal(["tcp"], listeners.Select(l => l.Name));
    }
}

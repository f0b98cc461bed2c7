using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Starling.Broker;
using Starling.Broker.Hooks;
using Starling.Hosting;

namespace Starling.Interop.Tests.Infrastructure;

/// <summary>A real broker in this process, listening on a free TCP port of 127.0.0.1, started through the same host code as the server.</summary>
public sealed class BrokerFixture : IAsyncDisposable
{
    private readonly IHost _host;

    private BrokerFixture(IHost host)
    {
        _host = host;
        Broker = host.Services.GetRequiredService<MqttBroker>();
        Service = host.Services.GetRequiredService<StarlingHostedService>();
        Port = Service.Listeners.FirstOrDefault(l => l.Type == "tcp")?.LocalEndPoint?.Port ?? 0;
    }

    public StarlingHostedService Service { get; }

    /// <summary>The bound port of the listener named <paramref name="listener"/>.</summary>
    public int PortOf(string listener) => Service.GetEndPoint(listener).Port;

    public MqttBroker Broker { get; }

    /// <summary>The host's services (the cluster link, the monitor's parts).</summary>
    public IServiceProvider Services => _host.Services;

    public int Port { get; }

    public string Host => "127.0.0.1";

    /// <summary>Starts a broker; <paramref name="settings"/> are extra command-line settings such as "--Starling:ConnectTimeoutSeconds=1".</summary>
    public static Task<BrokerFixture> StartAsync(IEnumerable<BrokerHook>? hooks = null, params string[] settings) =>
        StartAsync(hooks, services: null, settings);

    /// <summary>Starts a broker with extra services (stores shared across brokers, for one).</summary>
    public static async Task<BrokerFixture> StartAsync(IEnumerable<BrokerHook>? hooks, Action<IServiceCollection>? services, params string[] settings)
    {
        string[] args = ["--port", "0", "--bind", IPAddress.Loopback.ToString(), "--Logging:LogLevel:Default=Warning", .. settings];
        var builder = StarlingHost.CreateBuilder(args);
        builder.Services.AddStarling(builder.Configuration);
        foreach (var hook in hooks ?? [])
        {
            builder.Services.AddStarlingHook(hook);
        }

        services?.Invoke(builder.Services);

        var host = builder.Build();
        try
        {
            await host.StartAsync();
        }
        catch
        {
            host.Dispose();
            throw;
        }

        return new BrokerFixture(host);
    }

    public Task StopAsync() => _host.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}

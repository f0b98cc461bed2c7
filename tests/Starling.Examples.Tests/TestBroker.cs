using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Starling.Hosting;

namespace Starling.Examples.Tests;

/// <summary>A real broker in-process, on a free port, built the way the examples' Program.cs build theirs.</summary>
public sealed class TestBroker : IAsyncDisposable
{
    private readonly IHost _host;
    private bool _stopped;

    private TestBroker(IHost host, int port)
    {
        _host = host;
        Port = port;
    }

    /// <summary>The port the broker listens on.</summary>
    public int Port { get; }

    /// <summary>Builds and starts a host: <paramref name="addHook"/> registers the example's hook, <paramref name="args"/> are command-line switches.</summary>
    public static async Task<TestBroker> StartAsync(Action<HostApplicationBuilder> addHook, params string[] args)
    {
        var builder = StarlingHost.CreateBuilder(["--port", "0", "--Logging:LogLevel:Default=Warning", .. args]);
        builder.Services.AddStarling(builder.Configuration);
        addHook(builder);
        var host = builder.Build();
        await host.StartAsync();
        var service = host.Services.GetRequiredService<StarlingHostedService>();
        return new TestBroker(host, service.Listeners[0].LocalEndPoint!.Port);
    }

    /// <summary>The graceful stop (closes every client, runs OnClose and OnStop).</summary>
    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _host.StopAsync(timeout.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _host.Dispose();
    }
}

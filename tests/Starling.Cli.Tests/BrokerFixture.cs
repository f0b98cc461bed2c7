using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Starling.Hosting;

namespace Starling.Cli.Tests;

/// <summary>A real broker in this process on a free port of 127.0.0.1 (a minimal copy of the interop tests' fixture).</summary>
public class BrokerFixture : IAsyncLifetime
{
    private IHost? _host;

    /// <summary>Configuration on top of the defaults, as command-line arguments.</summary>
    protected virtual string[] Settings => [];

    public int Port { get; private set; }

    public string Host => "127.0.0.1";

    public async Task InitializeAsync()
    {
        string[] args = ["--port", "0", "--bind", IPAddress.Loopback.ToString(), "--Logging:LogLevel:Default=Warning", .. Settings];
        var builder = StarlingHost.CreateBuilder(args);
        builder.Services.AddStarling(builder.Configuration);
        _host = builder.Build();
        await _host.StartAsync();
        Port = _host.Services.GetRequiredService<StarlingHostedService>().Listeners[0].LocalEndPoint!.Port;
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.StopAsync();
            _host.Dispose();
        }
    }
}

/// <summary>A broker that gives up on an unwritable socket after 1 s instead of 30 s (SendTimeoutSeconds).</summary>
public sealed class ShortSendTimeoutBrokerFixture : BrokerFixture
{
    protected override string[] Settings => ["--Starling:SendTimeoutSeconds=1"];
}

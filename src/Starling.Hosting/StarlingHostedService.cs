using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Starling.Broker;
using Starling.Net;

namespace Starling.Hosting;

/// <summary>
/// Starts the broker and its listeners with the host, and stops them gracefully with it: the listeners
/// close first, then every client, then OnClose and OnStop run (Ctrl+C and SIGTERM take this path).
/// </summary>
public sealed partial class StarlingHostedService : IHostedService
{
    private readonly MqttBroker _broker;
    private readonly StarlingServerOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly List<TcpListenerEndpoint> _listeners = [];

    /// <summary>Created by the host.</summary>
    public StarlingHostedService(MqttBroker broker, IOptions<StarlingServerOptions> options, ILoggerFactory loggerFactory)
    {
        _broker = broker;
        _options = options.Value;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("Starling.Server");
    }

    /// <summary>The listeners, once started (tests read the bound ports here).</summary>
    public IReadOnlyList<TcpListenerEndpoint> Listeners => _listeners;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _options.Validate();
        _broker.Start();
        var address = IPAddress.Parse(_options.BindAddress);
        if (address.Equals(IPAddress.IPv6Any) && !Socket.OSSupportsIPv6)
        {
            address = IPAddress.Any;
        }

        var listener = new TcpListenerEndpoint(_broker, new IPEndPoint(address, _options.Port), "tcp", _loggerFactory.CreateLogger<TcpListenerEndpoint>());
        listener.Start();
        _listeners.Add(listener);
        if (_broker.HasNoAuthentication)
        {
            AnonymousAccess(_logger);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var listener in _listeners)
        {
            await listener.StopAsync().ConfigureAwait(false);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(_options.ShutdownTimeoutSeconds));
        await _broker.StopAsync(timeout.Token).ConfigureAwait(false);
        Stopped(_logger);
    }

    [LoggerMessage(200, LogLevel.Warning, "No authentication is configured: any client may connect anonymously.")]
    private static partial void AnonymousAccess(ILogger logger);

    [LoggerMessage(201, LogLevel.Information, "Starling stopped: every client closed, OnClose and OnStop hooks done.")]
    private static partial void Stopped(ILogger logger);
}

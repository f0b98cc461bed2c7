using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Starling.Broker;
using Starling.Net;

namespace Starling.Hosting;

/// <summary>
/// Starts the broker and its listeners with the host, and stops them gracefully with it: the listeners
/// close first, then every client, then OnClose and OnStop run (Ctrl+C and SIGTERM take this path).
/// tcp and tls listeners run on our own socket transport; ws, wss, http and https on Kestrel.
/// </summary>
public sealed partial class StarlingHostedService : IHostedService
{
    private readonly MqttBroker _broker;
    private readonly StarlingServerOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly IEnumerable<StarlingWebEndpoints> _webEndpoints;
    private readonly ILogger _logger;
    private readonly List<IListenerEndpoint> _listeners = [];
    private readonly List<SocketListenerEndpoint> _socketListeners = [];
    private readonly List<TlsServerSettings> _certificates = [];
    private StarlingWebHost? _web;

    /// <summary>Created by the host.</summary>
    public StarlingHostedService(MqttBroker broker, IOptions<StarlingServerOptions> options, ILoggerFactory loggerFactory, IEnumerable<StarlingWebEndpoints> webEndpoints)
    {
        _broker = broker;
        _options = options.Value;
        _loggerFactory = loggerFactory;
        _webEndpoints = webEndpoints;
        _logger = loggerFactory.CreateLogger("Starling.Server");
    }

    /// <summary>The listeners, once started, in the order configured (tests read the bound ports here).</summary>
    public IReadOnlyList<IListenerEndpoint> Listeners => _listeners;

    /// <summary>The bound address of the listener named <paramref name="name"/> (with the real port when 0 was asked for).</summary>
    public IPEndPoint GetEndPoint(string name) =>
        _listeners.FirstOrDefault(l => string.Equals(l.Name, name, StringComparison.OrdinalIgnoreCase))?.LocalEndPoint
        ?? throw new ArgumentException($"no started listener is named '{name}'", nameof(name));

    /// <summary>Whether <paramref name="definition"/>'s port is in use: then it is left out, with a warning.</summary>
    private bool IsTaken(ListenerDefinition definition)
    {
        try
        {
            using var probe = new System.Net.Sockets.Socket(definition.EndPoint.AddressFamily, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            probe.Bind(definition.EndPoint);
            return false;
        }
        catch (System.Net.Sockets.SocketException ex) when (ex.SocketErrorCode == System.Net.Sockets.SocketError.AddressAlreadyInUse)
        {
            ListenerSkipped(_logger, definition.Name, definition.EndPoint);
            return true;
        }
    }

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _options.Validate();
        var definitions = ListenerDefinition.Resolve(_options, loadCertificates: true);
        definitions.RemoveAll(d => d.SkipWhenTaken && IsTaken(d));
        _certificates.AddRange(definitions.Where(d => d.Tls is not null).Select(d => d.Tls!));
        _broker.Start();
        try
        {
            foreach (var definition in definitions.Where(d => !d.IsKestrel))
            {
                SocketListenerEndpoint listener = definition.Tls is { } tls
                    ? new TlsListenerEndpoint(_broker, definition.EndPoint, definition.Name, tls, definition.Limits, _loggerFactory.CreateLogger<TlsListenerEndpoint>())
                    : new TcpListenerEndpoint(_broker, definition.EndPoint, definition.Name, definition.Limits, _loggerFactory.CreateLogger<TcpListenerEndpoint>()) { UseEpoll = _options.UseEpoll };
                listener.Start();
                _socketListeners.Add(listener);
            }

            if (definitions.Any(d => d.IsKestrel))
            {
                // Not the startup token: SIGTERM during start cancels it, and a Kestrel bind cancelled half way throws out
                // of the host (the process aborted with 134). Binding finishes, then the host's stop closes all in order.
                _web = await StarlingWebHost.StartAsync(definitions.Where(d => d.IsKestrel), _broker, _loggerFactory, _webEndpoints, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch
        {
            await StopListenersAsync().ConfigureAwait(false);
            throw;
        }

        foreach (var definition in definitions)
        {
            _listeners.Add(_socketListeners.FirstOrDefault(l => l.Name == definition.Name) ?? (IListenerEndpoint)_web!.Listeners.First(l => l.Name == definition.Name));
        }

        if (_broker.HasNoAuthentication)
        {
            AnonymousAccess(_logger);
        }
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(_options.ShutdownTimeoutSeconds));
        foreach (var listener in _socketListeners)
        {
            await listener.StopAsync().ConfigureAwait(false);
        }

        // Kestrel stops listening at once, then waits for its WebSocket connections, which the broker's stop closes.
        var web = _web?.StopAsync(timeout.Token) ?? Task.CompletedTask;
        await _broker.StopAsync(timeout.Token).ConfigureAwait(false);
        await web.ConfigureAwait(false);
        await StopListenersAsync().ConfigureAwait(false);
        Stopped(_logger);
    }

    private async Task StopListenersAsync()
    {
        foreach (var listener in _socketListeners)
        {
            await listener.StopAsync().ConfigureAwait(false);
        }

        if (_web is not null)
        {
            await _web.DisposeAsync().ConfigureAwait(false);
            _web = null;
        }

        foreach (var certificate in _certificates)
        {
            certificate.Dispose();
        }

        _certificates.Clear();
    }

    [LoggerMessage(200, LogLevel.Warning, "No authentication is configured: any client may connect anonymously.")]
    private static partial void AnonymousAccess(ILogger logger);

    [LoggerMessage(201, LogLevel.Information, "Starling stopped: every client closed, OnClose and OnStop hooks done.")]
    private static partial void Stopped(ILogger logger);

    [LoggerMessage(202, LogLevel.Warning, "Listener '{Name}' is not started: {EndPoint} is in use (another broker on this machine?). Set Starling:Monitor:Port to serve the monitor elsewhere, or Starling:Monitor:Enabled=false.")]
    private static partial void ListenerSkipped(ILogger logger, string name, IPEndPoint endPoint);
}

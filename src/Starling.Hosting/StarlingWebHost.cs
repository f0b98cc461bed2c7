using System.Net;
using System.Net.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Starling.Broker;
using Starling.Net;

namespace Starling.Hosting;

/// <summary>
/// Kestrel, inside the broker's process, for the ws, wss, http and https listeners: MQTT over WebSocket on each
/// ws/wss listener's path, and the web endpoints (<c>GET /health</c>, and what <see cref="StarlingWebEndpoints"/>
/// add) on every one of them. Started only when such a listener is configured.
/// </summary>
internal sealed partial class StarlingWebHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private StarlingWebHost(WebApplication app, IReadOnlyList<KestrelListener> listeners)
    {
        _app = app;
        Listeners = listeners;
    }

    public IReadOnlyList<KestrelListener> Listeners { get; }

    public static async Task<StarlingWebHost> StartAsync(IEnumerable<ListenerDefinition> definitions, MqttBroker broker, ILoggerFactory loggerFactory, IEnumerable<StarlingWebEndpoints> endpoints, CancellationToken cancellationToken)
    {
        var logger = loggerFactory.CreateLogger("Starling.WebSocket");
        var listeners = definitions.Select(d => new KestrelListener(d)).ToList();
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Services.AddLogging();
        builder.Services.Replace(ServiceDescriptor.Singleton(loggerFactory));
        builder.Services.AddRoutingCore();
        builder.Services.AddSingleton<IHostLifetime, OuterHostLifetime>(); // the broker's host owns Ctrl+C / SIGTERM and the stop order
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            var handshake = listeners.Select(l => l.Definition.Limits.HandshakeTimeout).Where(t => t > TimeSpan.Zero).DefaultIfEmpty(TimeSpan.FromSeconds(30)).Min();
            kestrel.Limits.RequestHeadersTimeout = handshake;
            foreach (var listener in listeners)
            {
                kestrel.Listen(listener.Definition.EndPoint, options =>
                {
                    listener.ListenOptions = options;
                    options.Protocols = HttpProtocols.Http1;
                    options.Use(next => connection =>
                    {
                        connection.Features.Set(listener);
                        return next(connection);
                    });
                    if (listener.Definition.Tls is { } tls)
                    {
                        UseTls(options, listener, tls, logger);
                    }
                });
            }
        });

        foreach (var added in endpoints)
        {
            added.Services?.Invoke(builder.Services);
        }

        var app = builder.Build();
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.Zero });
        app.Use((context, next) =>
        {
            var listener = context.Features.Get<KestrelListener>();
            return listener is { Definition.ServesMqtt: true } && context.Request.Path.Equals(listener.Definition.Path, StringComparison.Ordinal)
                ? MqttOverWebSocket.ServeAsync(context, listener, broker, logger)
                : next(context);
        });
        foreach (var added in endpoints)
        {
            if (added.Middleware is { } middleware)
            {
                app.Use(middleware);
            }
        }

        app.MapGet("/health", () => "ok");
        foreach (var map in endpoints)
        {
            map.Map(app);
        }

        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        foreach (var listener in listeners)
        {
            Listening(logger, listener.Name, listener.Type, listener.LocalEndPoint, listener.Definition.ServesMqtt ? listener.Definition.Path : "-");
        }

        return new StarlingWebHost(app, listeners);
    }

    /// <summary>Stops listening and waits for open WebSocket connections to end (the broker's stop closes them).</summary>
    public Task StopAsync(CancellationToken cancellationToken) => _app.StopAsync(cancellationToken);

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private static void UseTls(ListenOptions options, KestrelListener listener, TlsServerSettings tls, ILogger logger)
    {
        options.UseHttps(new TlsHandshakeCallbackOptions
        {
            HandshakeTimeout = listener.Definition.Limits.HandshakeTimeout > TimeSpan.Zero ? listener.Definition.Limits.HandshakeTimeout : TimeSpan.FromSeconds(10),
            OnConnection = context =>
            {
                var remote = context.Connection.RemoteEndPoint;
                var server = tls.CreateServerOptions((_, certificate, chain, _) =>
                {
                    if (tls.ValidateClientCertificate(certificate, chain, out string? refusal))
                    {
                        return true;
                    }

                    ClientCertificateRefused(logger, listener.Name, remote, refusal!);
                    return false;
                });
                server.ApplicationProtocols = [SslApplicationProtocol.Http11];
                return ValueTask.FromResult(server);
            },
        });
    }

    [LoggerMessage(300, LogLevel.Information, "Listener {Name} accepting {Type} on {EndPoint} (MQTT path {Path})")]
    private static partial void Listening(ILogger logger, string name, string type, EndPoint? endPoint, string path);

    [LoggerMessage(302, LogLevel.Warning, "Listener {Name} refused {RemoteEndPoint} during the TLS handshake: {Reason}")]
    private static partial void ClientCertificateRefused(ILogger logger, string name, EndPoint? remoteEndPoint, string reason);
}

/// <summary>Kestrel's application neither waits for nor reacts to console signals: the broker's host stops it.</summary>
internal sealed class OuterHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>A Kestrel listener: its definition, its bound address once started, and its open MQTT connections.</summary>
internal sealed class KestrelListener(ListenerDefinition definition) : IListenerEndpoint
{
    public int Open;

    public ListenerDefinition Definition { get; } = definition;

    public ListenOptions? ListenOptions { get; set; }

    public string Name => Definition.Name;

    public string Type => Definition.Type;

    public IPEndPoint? LocalEndPoint => ListenOptions?.IPEndPoint;

    public int ConnectionCount => Volatile.Read(ref Open);
}

/// <summary>Web endpoints served on every ws, wss, http and https listener (the monitor, the API, metrics): add with <c>services.AddStarlingWebEndpoints(...)</c>.</summary>
/// <param name="Map">Maps the endpoints.</param>
/// <param name="Services">Adds what the endpoints need to the web host's own services (an exporter, OpenAPI).</param>
/// <param name="Middleware">Runs before every endpoint (authentication).</param>
public sealed record StarlingWebEndpoints(
    Action<Microsoft.AspNetCore.Routing.IEndpointRouteBuilder> Map,
    Action<IServiceCollection>? Services = null,
    Func<HttpContext, RequestDelegate, Task>? Middleware = null);

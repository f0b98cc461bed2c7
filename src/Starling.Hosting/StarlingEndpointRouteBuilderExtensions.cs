using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Starling.Broker;
using Starling.Net;

namespace Starling.Hosting;

/// <summary>
/// Serves the embedded broker on the host app's own Kestrel, next to the app's endpoints:
/// <c>app.MapStarlingWebSockets("/mqtt")</c> and <c>app.MapStarlingMonitor("/starling")</c>.
/// </summary>
public static class StarlingEndpointRouteBuilderExtensions
{
    /// <summary>
    /// MQTT over WebSocket at <paramref name="pattern"/> on the app's own listeners (the "mqtt" subprotocol, as on the
    /// broker's ws listeners). Adds the WebSocket middleware to the app's pipeline if it is not there yet.
    /// </summary>
    public static IEndpointConventionBuilder MapStarlingWebSockets(this WebApplication app, string pattern = "/mqtt")
    {
        ArgumentNullException.ThrowIfNull(app);
        var broker = app.Services.GetRequiredService<MqttBroker>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Starling.WebSocket");
        // The broker's keep-alive decides when a silent client is gone, so the WebSocket sends no pings of its own.
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.Zero });
        var listener = new KestrelListener(new ListenerDefinition("web" + pattern, "ws", new IPEndPoint(IPAddress.IPv6Any, 0), pattern, ListenerLimits.None, null));
        return app.Map(pattern, context => MqttOverWebSocket.ServeAsync(context, listener, broker, logger));
    }

    /// <summary>
    /// The web monitor and its admin API under <paramref name="prefix"/> (<c>/starling/</c>, <c>/starling/api/v1/...</c>),
    /// with the same authentication as on the broker's monitor listener: open on loopback, an API key or a password-file
    /// user elsewhere. Needs the monitor enabled (<c>Server.Monitor.Enabled</c>, the default); set
    /// <see cref="StarlingOptions.MonitorListener"/> to false to serve it only here, Prometheus metrics included
    /// (<c>/starling/metrics</c>). The OpenAPI document stays on the monitor's own listener.
    /// </summary>
    public static RouteGroupBuilder MapStarlingMonitor(this WebApplication app, string prefix = "/starling")
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        var monitor = app.Services.GetService<Monitor.MonitorServices>()
            ?? throw new InvalidOperationException("MapStarlingMonitor: the monitor is off (Starling:Monitor:Enabled=false).");
        var authentication = app.Services.GetRequiredService<Monitor.MonitorAuthentication>();
        var root = new PathString(prefix.TrimEnd('/'));
        app.Use((context, next) =>
        {
            if (!context.Request.Path.StartsWithSegments(root, StringComparison.Ordinal, out var rest))
            {
                return next(context);
            }

            if (!rest.HasValue)
            {
                // The page fetches api/v1/... relative to itself, so it must be loaded from the folder, /starling/.
                context.Response.Redirect(context.Request.PathBase + root + "/");
                return Task.CompletedTask;
            }

            // The authentication knows the monitor's paths (/api, ...) as they are on its own listener.
            return authentication.InvokeAsync(context, rest, next);
        });
        var group = app.MapGroup(root);
        Monitor.MonitorAssets.Map(group);
        Monitor.MonitorEndpoints.Map(group, monitor);
        if (!monitor.Options.OwnListener)
        {
            // AddMonitor put the Prometheus exporter into the app's services for exactly this case.
            group.MapPrometheusScrapingEndpoint("/metrics");
        }

        return group;
    }
}

using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Starling.Broker;
using Starling.Broker.Transport;
using Starling.Net;

namespace Starling.Hosting;

/// <summary>
/// One MQTT connection over a WebSocket that Kestrel accepted: on the broker's own ws/wss listeners
/// (<see cref="StarlingWebHost"/>) and on a host app's endpoint (<c>app.MapStarlingWebSockets("/mqtt")</c>).
/// </summary>
internal static partial class MqttOverWebSocket
{
    /// <summary>Answers 400 to anything but a WebSocket upgrade offering the "mqtt" (or "mqttv3.1") subprotocol.</summary>
    public static async Task ServeAsync(HttpContext context, KestrelListener listener, MqttBroker broker, ILogger logger)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync("MQTT over WebSocket: a WebSocket upgrade is expected.", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        // MQTT 5.0 section 6 / 3.1.1 section 6: the subprotocol is "mqtt"; MQTT 3.1 clients offer "mqttv3.1".
        var requested = context.WebSockets.WebSocketRequestedProtocols;
        string? subprotocol = requested.FirstOrDefault(p => string.Equals(p, "mqtt", StringComparison.OrdinalIgnoreCase))
            ?? requested.FirstOrDefault(p => string.Equals(p, "mqttv3.1", StringComparison.OrdinalIgnoreCase));
        if (subprotocol is null)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync("MQTT over WebSocket: the 'mqtt' subprotocol is required.", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        int open = Interlocked.Increment(ref listener.Open);
        try
        {
            int maximum = listener.Definition.Limits.MaximumConnections;
            if (maximum > 0 && open > maximum)
            {
                TooManyConnections(logger, listener.Name, Remote(context), maximum);
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                return;
            }

            string? username = null;
            if (listener.Definition.Tls is { UseCertificateCommonNameAsUsername: true } && context.Connection.ClientCertificate is { } certificate)
            {
                username = TlsServerSettings.CommonName(certificate);
            }

            using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { SubProtocol = subprotocol, KeepAliveInterval = TimeSpan.Zero }).ConfigureAwait(false);
            var transport = new WebSocketTransport(socket, Remote(context), new IPEndPoint(context.Connection.LocalIpAddress ?? IPAddress.None, context.Connection.LocalPort), listener.Name, username);
            using var deadline = HandshakeDeadline.Start(listener.Definition.Limits.HandshakeTimeout, transport, () => HandshakeTimedOut(logger, listener.Name, transport.RemoteEndPoint));
            IConnectionEngine engine = broker.Connect(transport);
            deadline?.Attach(engine);
            await transport.RunAsync(engine).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref listener.Open);
        }
    }

    private static IPEndPoint Remote(HttpContext context) => new(context.Connection.RemoteIpAddress ?? IPAddress.None, context.Connection.RemotePort);

    [LoggerMessage(301, LogLevel.Warning, "Listener {Name} refused {RemoteEndPoint}: already {Maximum} connections open")]
    private static partial void TooManyConnections(ILogger logger, string name, EndPoint? remoteEndPoint, int maximum);

    [LoggerMessage(303, LogLevel.Information, "Listener {Name} closed {RemoteEndPoint}: no accepted CONNECT within the handshake timeout")]
    private static partial void HandshakeTimedOut(ILogger logger, string name, EndPoint? remoteEndPoint);
}

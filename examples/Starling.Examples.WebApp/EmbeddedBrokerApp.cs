using Starling.Hosting;

namespace Starling.Examples.WebApp;

/// <summary>
/// An ASP.NET Core app with the broker inside: its own endpoints, MQTT over WebSocket and the monitor on the same
/// Kestrel, MQTT over TCP on its own port. Program.cs runs it; the tests build the same app.
/// </summary>
public static class EmbeddedBrokerApp
{
    /// <summary>
    /// Builds the app. Besides ASP.NET Core's own settings (<c>--urls</c>), <c>--MqttPort N</c> is the broker's TCP
    /// port (default 1883).
    /// </summary>
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        int mqttPort = builder.Configuration.GetValue("MqttPort", 1883);

        // Every broker setting in code: no "Starling" section is read.
        builder.Services.AddStarling(o =>
        {
            o.Server.Port = mqttPort;
            o.Server.BindAddress = "127.0.0.1";
            o.Storage.Type = StorageType.Memory; // this app's messages need not outlive it
            o.Broker.MaximumPacketSize = 64 * 1024;
            o.MonitorListener = false; // the monitor is served below, on the app's port, not on 18083
        });

        // Hooks come from DI: this one gets the app's LatestReadings, which the app's endpoint reads too.
        builder.Services.AddSingleton<LatestReadings>();
        builder.Services.AddStarlingHook<RecordReadingsHook>();

        var app = builder.Build();
        app.MapGet("/", () => "Starling.Examples.WebApp: MQTT over WebSocket at /mqtt, the monitor at /starling/, readings at /readings");
        app.MapGet("/readings", (LatestReadings readings) => readings.Snapshot());
        app.MapStarlingWebSockets("/mqtt");
        app.MapStarlingMonitor("/starling");
        return app;
    }
}

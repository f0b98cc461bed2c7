using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using Starling.Broker;
using Starling.Broker.Diagnostics;

namespace Starling.Hosting.Monitor;

/// <summary>Wires the monitor into <c>AddStarling</c>: its parts, the $SYS publisher, and the endpoints on the broker's Kestrel.</summary>
internal static class MonitorRegistration
{
    public static void AddMonitor(IServiceCollection services, MonitorOptions options)
    {
        services.AddHostedService(sp => new SysTopics(sp.GetRequiredService<MqttBroker>(), sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<StarlingServerOptions>>()));
        if (!options.Enabled)
        {
            return;
        }

        services.AddSingleton(sp => new MonitorServices(sp.GetRequiredService<MqttBroker>(), options));
        services.AddHostedService(sp => sp.GetRequiredService<MonitorServices>().Sampler);
        services.AddSingleton(sp =>
        {
            var passwords = sp.GetServices<Broker.Hooks.BrokerHook>().OfType<Security.PasswordFileHook>().FirstOrDefault();
            return new MonitorAuthentication(options, () => passwords?.File, sp.GetRequiredService<ILoggerFactory>().CreateLogger("Starling.Monitor"));
        });
        if (!options.OwnListener)
        {
            // The app maps it on its own Kestrel (MapStarlingMonitor), /metrics included: the exporter goes into the
            // app's own services (the app may add meters of its own to the same OpenTelemetry).
            services.AddOpenTelemetry().WithMetrics(metrics => metrics
                .AddMeter(BrokerMetrics.MeterName, Broker.Storage.GroupCommitJournal.MeterName, Cluster.NatsCluster.MeterName)
                .AddPrometheusExporter());
            return;
        }

        services.AddSingleton(sp =>
        {
            var monitor = sp.GetRequiredService<MonitorServices>();
            var authentication = sp.GetRequiredService<MonitorAuthentication>();
            return new StarlingWebEndpoints(
                app =>
                {
                    MonitorAssets.Map(app);
                    MonitorEndpoints.Map(app, monitor);
                    app.MapPrometheusScrapingEndpoint("/metrics");
                    app.MapOpenApi("/openapi/{documentName}.json");
                },
                web =>
                {
                    var own = monitor.Broker.Metrics;
                    web.AddOpenTelemetry().WithMetrics(metrics => metrics
                        .AddMeter(BrokerMetrics.MeterName, Broker.Storage.GroupCommitJournal.MeterName, Cluster.NatsCluster.MeterName)
                        .AddView(instrument => instrument.Meter.Name == BrokerMetrics.MeterName && !own.Owns(instrument.Meter) ? MetricStreamConfiguration.Drop : null) // another broker in the same process
                        .AddPrometheusExporter());
                    web.AddOpenApi();
                },
                authentication.InvokeAsync);
        });
    }
}

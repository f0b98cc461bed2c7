using Starling.Broker;

namespace Starling.Hosting;

/// <summary>
/// Every setting of an embedded broker, set in code: <c>services.AddStarling(o =&gt; { o.Server.Port = 1884; })</c>.
/// The same settings as the "Starling" configuration section (docs/configuration.md), grouped by the class that
/// owns them.
/// </summary>
public sealed class StarlingOptions
{
    /// <summary>Listeners, the password and ACL files, the monitor, $SYS (the section's own keys).</summary>
    public StarlingServerOptions Server { get; } = new();

    /// <summary>The engine's limits and MQTT features (the section's broker keys).</summary>
    public BrokerOptions Broker { get; } = new();

    /// <summary>Where the state is kept (<c>Starling:Storage</c>): an SQLite file in ./data by default.</summary>
    public StarlingStorageOptions Storage { get; } = new();

    /// <summary>Cluster mode on NATS (<c>Starling:Cluster</c>): off unless a server is named.</summary>
    public Cluster.ClusterOptions Cluster { get; } = new();

    /// <summary>Links to other brokers (<c>Starling:Bridges</c>, docs/bridges.md): none by default.</summary>
    public List<Bridge.BridgeOptions> Bridges { get; } = [];

    /// <summary>
    /// Whether clients without a user name are let in. Null (the default): yes without a password file, no with one,
    /// as when <c>Starling:AllowAnonymous</c> is not configured. Set, it decides in both cases.
    /// </summary>
    public bool? AllowAnonymous { get; set; }

    /// <summary>
    /// Whether the monitor (when <see cref="Monitor.MonitorOptions.Enabled"/>) opens its own http listener on
    /// <c>Server.Monitor.BindAddress</c>:<c>Server.Monitor.Port</c>. Default true; false when the app serves it on its
    /// own Kestrel with <c>app.MapStarlingMonitor("/starling")</c> instead.
    /// </summary>
    public bool MonitorListener { get; set; } = true;
}

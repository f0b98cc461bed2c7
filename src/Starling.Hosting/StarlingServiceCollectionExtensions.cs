using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Starling.Broker;
using Starling.Broker.Hooks;
using Starling.Broker.Storage;
using Starling.Storage.Redis;
using Starling.Storage.Sqlite;

namespace Starling.Hosting;

/// <summary>Registers the broker in a host: <c>services.AddStarling(configuration).AddStarlingHook&lt;MyHook&gt;()</c>.</summary>
public static class StarlingServiceCollectionExtensions
{
    /// <summary>
    /// Adds the broker, its listeners and its graceful stop. Settings come from the "Starling" section of
    /// <paramref name="configuration"/>: appsettings.json, STARLING__ environment variables, the command line.
    /// </summary>
    public static IServiceCollection AddStarling(this IServiceCollection services, IConfiguration configuration, Action<BrokerOptions>? configure = null)
    {
        var section = configuration.GetSection(StarlingServerOptions.Section);
        services.AddOptions<StarlingServerOptions>().Bind(section);
        services.AddOptions<BrokerOptions>().Bind(section).Configure(o => configure?.Invoke(o));
        services.AddOptions<StarlingStorageOptions>().Bind(section.GetSection(StarlingStorageOptions.Section));
        var storage = new StarlingStorageOptions();
        section.GetSection(StarlingStorageOptions.Section).Bind(storage);
        var cluster = new Cluster.ClusterOptions();
        section.GetSection(Cluster.ClusterOptions.Section).Bind(cluster);
        var monitor = new Monitor.MonitorOptions();
        section.GetSection(Monitor.MonitorOptions.Section).Bind(monitor);
        bool? allowAnonymous = bool.TryParse(section[nameof(BrokerOptions.AllowAnonymous)], out bool allow) ? allow : null;
        var bridges = section.GetSection(Bridge.BridgeOptions.Section).Get<List<Bridge.BridgeOptions>>() ?? [];
        return AddParts(services, section[nameof(StarlingServerOptions.PasswordFile)], section[nameof(StarlingServerOptions.AclFile)], allowAnonymous, storage, cluster, monitor, bridges);
    }

    /// <summary>
    /// Adds the broker, its listeners and its graceful stop, with every setting made in code (an app that embeds the
    /// broker and reads no "Starling" section). Hooks still come from DI (<see cref="AddStarlingHook{THook}"/>); the
    /// app can serve MQTT over WebSocket and the monitor on its own Kestrel with
    /// <see cref="StarlingEndpointRouteBuilderExtensions.MapStarlingWebSockets"/> and
    /// <see cref="StarlingEndpointRouteBuilderExtensions.MapStarlingMonitor"/>.
    /// </summary>
    public static IServiceCollection AddStarling(this IServiceCollection services, Action<StarlingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var options = new StarlingOptions();
        configure(options);
        if (options.AllowAnonymous is { } allowAnonymous)
        {
            options.Broker.AllowAnonymous = allowAnonymous;
        }

        options.Server.Monitor.OwnListener = options.MonitorListener;
        // Closed registrations: they win over the open IOptions<> of AddOptions, so these very instances are used.
        services.AddSingleton(Options.Create(options.Server));
        services.AddSingleton(Options.Create(options.Broker));
        services.AddSingleton(Options.Create(options.Storage));
        return AddParts(services, options.Server.PasswordFile, options.Server.AclFile, options.AllowAnonymous, options.Storage, options.Cluster, options.Server.Monitor, options.Bridges);
    }

    /// <summary>What both AddStarling overloads add once the settings are known.</summary>
    private static IServiceCollection AddParts(IServiceCollection services, string? passwordFile, string? aclFile, bool? allowAnonymous, StarlingStorageOptions storage, Cluster.ClusterOptions cluster, Monitor.MonitorOptions monitor, IReadOnlyList<Bridge.BridgeOptions> bridges)
    {
        services.AddSingleton(sp =>
        {
            var hooks = sp.GetServices<BrokerHook>().ToList();
            // Stores registered by the host (a durable backend, or instances shared across brokers) replace the in-memory ones.
            var broker = new MqttBroker(
                sp.GetRequiredService<IOptions<BrokerOptions>>().Value,
                hooks,
                sp.GetRequiredService<ILogger<MqttBroker>>(),
                sp.GetService<IRetainedMessageStore>(),
                sp.GetService<ISessionStateStore>(),
                sp.GetService<ISessionJournal>());
            foreach (var acl in hooks.OfType<Security.AclHook>())
            {
                acl.Attach(broker); // a reloaded ACL file withdraws the subscriptions it no longer grants
            }

            return broker;
        });
        AddCluster(services, cluster);
        services.AddSingleton<StarlingHostedService>();
        services.AddHostedService(sp => sp.GetRequiredService<StarlingHostedService>());
        AddBridges(services, bridges);
        AddSecurityFiles(services, passwordFile, aclFile, allowAnonymous);
        AddStorage(services, storage);
        Monitor.MonitorRegistration.AddMonitor(services, monitor);
        return services;
    }

    /// <summary>Cluster mode when Starling:Cluster names a NATS server: joined before the broker starts, left after it stopped.</summary>
    private static void AddCluster(IServiceCollection services, Cluster.ClusterOptions cluster)
    {
        if (!cluster.Enabled)
        {
            return;
        }

        services.AddSingleton(sp => new Cluster.NatsCluster(cluster, sp.GetRequiredService<MqttBroker>(), sp.GetRequiredService<ILogger<Cluster.NatsCluster>>()));
        services.AddHostedService<ClusterHostedService>();
    }

    /// <summary>Each element of Starling:Bridges is a bridge, checked now so that a broken one stops the start.</summary>
    private static void AddBridges(IServiceCollection services, IReadOnlyList<Bridge.BridgeOptions> bridges)
    {
        if (bridges.Count == 0)
        {
            return;
        }

        foreach (var bridge in bridges)
        {
            bridge.Validate();
        }

        var duplicate = bridges.GroupBy(b => b.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException($"Starling:Bridges: two bridges are named '{duplicate.Key}'.");
        }

        foreach (var bridge in bridges)
        {
            services.AddSingleton(sp => new Bridge.MqttBridge(bridge, sp.GetRequiredService<MqttBroker>(), sp.GetRequiredService<ILogger<Bridge.MqttBridge>>()));
        }

        services.AddHostedService<BridgeHostedService>();
    }

    /// <summary>
    /// Starling:Storage chooses the stores: the SQLite file by default, Redis, or memory. Stores the host registered itself
    /// (before or after this call) win, since the broker takes the last registration of each.
    /// </summary>
    private static void AddStorage(IServiceCollection services, StarlingStorageOptions storage)
    {
        if (storage.Type == StorageType.Redis)
        {
            services.TryAddSingleton(_ => new RedisDatabase(storage.Redis));
            services.TryAddSingleton<ISessionStateStore>(sp => new RedisSessionStateStore(sp.GetRequiredService<RedisDatabase>()));
            services.TryAddSingleton<ISessionJournal>(sp => new RedisJournal(sp.GetRequiredService<RedisDatabase>()));
            services.TryAddSingleton<IRetainedMessageStore>(sp => new RedisRetainedMessageStore(sp.GetRequiredService<RedisDatabase>(), journaled: true));
            return;
        }

        if (storage.Type != StorageType.Sqlite)
        {
            return;
        }

        services.TryAddSingleton(_ => new SqliteDatabase(new SqliteStoreOptions { Path = storage.Path, Synchronous = storage.Synchronous, MaximumSizeBytes = storage.MaximumSizeBytes }));
        services.TryAddSingleton<ISessionStateStore>(sp => new SqliteSessionStateStore(sp.GetRequiredService<SqliteDatabase>()));
        services.TryAddSingleton<ISessionJournal>(sp => new SqliteJournal(sp.GetRequiredService<SqliteDatabase>()));
        services.TryAddSingleton<IRetainedMessageStore>(sp => new SqliteRetainedMessageStore(sp.GetRequiredService<SqliteDatabase>(), journaled: true));
    }

    /// <summary>
    /// Starling:PasswordFile and Starling:AclFile become the first hooks of the chain, authentication then ACL,
    /// whenever the other hooks were added, so the hooks an application adds see authenticated clients.
    /// </summary>
    private static void AddSecurityFiles(IServiceCollection services, string? passwordFile, string? aclFile, bool? allowAnonymous)
    {
        int index = 0;
        if (passwordFile is { Length: > 0 })
        {
            // A password file refuses anonymous clients unless AllowAnonymous is set explicitly (its default, true,
            // is for a broker without authentication).
            services.Insert(index++, ServiceDescriptor.Singleton<BrokerHook>(sp => Load(nameof(StarlingServerOptions.PasswordFile), () =>
                new Security.PasswordFileHook(new Security.PasswordFileHookOptions { Path = passwordFile, AllowAnonymous = allowAnonymous == true }, sp.GetRequiredService<ILogger<Security.PasswordFileHook>>()))));
        }

        if (aclFile is { Length: > 0 })
        {
            services.Insert(index++, ServiceDescriptor.Singleton<BrokerHook>(sp => Load(nameof(StarlingServerOptions.AclFile), () =>
                new Security.AclHook(aclFile, sp.GetRequiredService<ILogger<Security.AclHook>>()))));
        }

        if (index > 0)
        {
            services.AddHostedService<SighupReload>();
        }
    }

    private static BrokerHook Load(string key, Func<BrokerHook> create)
    {
        try
        {
            return create();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            throw new InvalidOperationException($"{StarlingServerOptions.Section}:{key}: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Adds web endpoints (a monitor, an API, metrics) served by Kestrel on every ws, wss, http and https
    /// listener, next to <c>GET /health</c>.
    /// </summary>
    public static IServiceCollection AddStarlingWebEndpoints(this IServiceCollection services, Action<Microsoft.AspNetCore.Routing.IEndpointRouteBuilder> map)
    {
        services.AddSingleton(new StarlingWebEndpoints(map));
        return services;
    }

    /// <summary>Adds a hook; hooks run in the order they were added.</summary>
    public static IServiceCollection AddStarlingHook<THook>(this IServiceCollection services)
        where THook : BrokerHook
    {
        services.AddSingleton<BrokerHook, THook>();
        return services;
    }

    /// <summary>Adds a hook instance.</summary>
    public static IServiceCollection AddStarlingHook(this IServiceCollection services, BrokerHook hook)
    {
        services.AddSingleton(hook);
        return services;
    }
}

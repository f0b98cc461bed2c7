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
        AddCluster(services, section.GetSection(Cluster.ClusterOptions.Section));
        services.AddSingleton<StarlingHostedService>();
        services.AddHostedService(sp => sp.GetRequiredService<StarlingHostedService>());
        AddBridges(services, section.GetSection(Bridge.BridgeOptions.Section));
        AddSecurityFiles(services, section);
        AddStorage(services, section.GetSection(StarlingStorageOptions.Section));
        Monitor.MonitorRegistration.AddMonitor(services, section);
        return services;
    }

    /// <summary>
    /// Starling:Storage chooses the stores: the SQLite file by default, Redis, or memory. Stores the host registered itself
    /// (before or after this call) win, since the broker takes the last registration of each.
    /// </summary>
    /// <summary>Cluster mode when Starling:Cluster names a NATS server: joined before the broker starts, left after it stopped.</summary>
    private static void AddCluster(IServiceCollection services, IConfigurationSection section)
    {
        var cluster = new Cluster.ClusterOptions();
        section.Bind(cluster);
        if (!cluster.Enabled)
        {
            return;
        }

        services.AddSingleton(sp => new Cluster.NatsCluster(cluster, sp.GetRequiredService<MqttBroker>(), sp.GetRequiredService<ILogger<Cluster.NatsCluster>>()));
        services.AddHostedService<ClusterHostedService>();
    }

    /// <summary>Each element of Starling:Bridges is a bridge, checked now so that a broken one stops the start.</summary>
    private static void AddBridges(IServiceCollection services, IConfigurationSection section)
    {
        var bridges = section.Get<List<Bridge.BridgeOptions>>() ?? [];
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

    private static void AddStorage(IServiceCollection services, IConfigurationSection section)
    {
        var storage = new StarlingStorageOptions();
        section.Bind(storage);
        services.AddOptions<StarlingStorageOptions>().Bind(section);
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
    private static void AddSecurityFiles(IServiceCollection services, IConfigurationSection section)
    {
        int index = 0;
        if (section[nameof(StarlingServerOptions.PasswordFile)] is { Length: > 0 } passwordFile)
        {
            // A password file refuses anonymous clients unless AllowAnonymous is set explicitly (its default, true,
            // is for a broker without authentication).
            bool allowAnonymous = bool.TryParse(section[nameof(BrokerOptions.AllowAnonymous)], out bool allow) && allow;
            services.Insert(index++, ServiceDescriptor.Singleton<BrokerHook>(sp => Load(nameof(StarlingServerOptions.PasswordFile), () =>
                new Security.PasswordFileHook(new Security.PasswordFileHookOptions { Path = passwordFile, AllowAnonymous = allowAnonymous }, sp.GetRequiredService<ILogger<Security.PasswordFileHook>>()))));
        }

        if (section[nameof(StarlingServerOptions.AclFile)] is { Length: > 0 } aclFile)
        {
            services.Insert(index, ServiceDescriptor.Singleton<BrokerHook>(sp => Load(nameof(StarlingServerOptions.AclFile), () =>
                new Security.AclHook(aclFile, sp.GetRequiredService<ILogger<Security.AclHook>>()))));
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

using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Starling.Bridge;
using Starling.Interop.Tests.Infrastructure;

namespace Starling.Interop.Tests.Bridges;

/// <summary>A bridge configured as a user would, as Starling:Bridges:0 settings on the command line.</summary>
internal sealed class BridgeSettings(string name, int port, string version)
{
    private readonly List<string> _settings = [];
    private int _topics;

    public BridgeSettings Topic(string pattern, string direction, int qos, string localPrefix = "", string remotePrefix = "")
    {
        string at = $"--Starling:Bridges:0:Topics:{_topics++}:";
        _settings.Add(at + "Pattern=" + pattern);
        _settings.Add(at + "Direction=" + direction);
        _settings.Add(at + "Qos=" + qos.ToString(CultureInfo.InvariantCulture));
        _settings.Add(at + "LocalPrefix=" + localPrefix);
        _settings.Add(at + "RemotePrefix=" + remotePrefix);
        return this;
    }

    public BridgeSettings Set(string key, string value)
    {
        _settings.Add($"--Starling:Bridges:0:{key}={value}");
        return this;
    }

    /// <summary>The command-line settings, with the store in memory unless <paramref name="storage"/> says otherwise.</summary>
    public string[] Build(params string[] storage) =>
    [
        $"--Starling:Bridges:0:Name={name}",
        "--Starling:Bridges:0:Address=127.0.0.1",
        $"--Starling:Bridges:0:Port={port.ToString(CultureInfo.InvariantCulture)}",
        $"--Starling:Bridges:0:ProtocolVersion={version}",
        $"--Starling:Bridges:0:ClientId=starling-{name}",
        "--Starling:Bridges:0:ReconnectMinSeconds=0.2",
        "--Starling:Bridges:0:ReconnectMaxSeconds=1",
        .. storage.Length > 0 ? storage : ["--Starling:Storage:Type=memory"],
        .. _settings,
    ];

    /// <summary>Starts a Starling broker with this bridge and waits until the bridge's link is up.</summary>
    public async Task<(BrokerFixture Broker, MqttBridge Bridge)> StartAsync(params string[] storage)
    {
        var broker = await BrokerFixture.StartAsync(null, Build(storage));
        var bridge = broker.Services.GetServices<MqttBridge>().Single();
        try
        {
            await Poll.UntilAsync(() => bridge.State == BridgeState.Connected, $"bridge {name} to connect");
        }
        catch (TimeoutException ex)
        {
            await broker.DisposeAsync();
            throw new TimeoutException($"{ex.Message}; its last error: {bridge.LastError}", ex);
        }

        return (broker, bridge);
    }
}

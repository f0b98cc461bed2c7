using Starling.Interop.Tests.Infrastructure;
using Starling.TestSupport;

namespace Starling.Interop.Tests.Cluster;

/// <summary>
/// Three starling-server processes (node1..node3) joined through a real nats-server with JetStream, each test its
/// own, all on 127.0.0.1. node1 reaches NATS through <see cref="Link"/>, a TCP proxy a test can cut.
/// </summary>
public abstract class ClusterProcessTestBase : IAsyncLifetime
{
    protected NatsServer Nats { get; private set; } = null!;

    /// <summary>node1's way to NATS.</summary>
    protected TcpProxy Link { get; private set; } = null!;

    protected List<ServerProcess> Nodes { get; } = [];

    public async Task InitializeAsync()
    {
        Nats = NatsServer.Start();
        Link = new TcpProxy(Nats.Port);
        var starting = Enumerable.Range(1, 3).Select(i => ServerProcess.StartAsync(
            $"--Starling:Cluster:NatsUrl=nats://127.0.0.1:{(i == 1 ? Link.Port : Nats.Port)}", $"--Starling:Cluster:NodeName=node{i}",
            "--Starling:Storage:Type=memory", "--Starling:Monitor:Enabled=false", "--Starling:SysInterval=0"));
        Nodes.AddRange(await Task.WhenAll(starting));
    }

    /// <summary>Connects <paramref name="clientId"/> (5.0) to <paramref name="node"/> to resume its session (Clean Start 0) and asserts Session Present.</summary>
    protected static async Task<MqttNet> ResumeAsync(ServerProcess node, string clientId, string because = "the session was not there to resume")
    {
        var client = MqttNet.Create();
        var result = await client.Client.ConnectAsync(MqttNet.Options(node.Host, node.Port, clientId, MQTTnet.Formatter.MqttProtocolVersion.V500)
            .WithCleanStart(false).WithSessionExpiryInterval(300).Build());
        Assert.True(result.IsSessionPresent, because);
        return client;
    }

    public async Task DisposeAsync()
    {
        try
        {
            foreach (var node in Nodes)
            {
                await node.DisposeAsync();
            }
        }
        finally
        {
            Link.Dispose();
            Nats.Dispose(); // even when a node's stop throws: a leaked nats-server outlives the test run
        }
    }
}

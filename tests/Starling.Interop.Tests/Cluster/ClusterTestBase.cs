using Microsoft.Extensions.DependencyInjection;
using Starling.Cluster;
using Starling.Interop.Tests.Infrastructure;
using Starling.TestSupport;

namespace Starling.Interop.Tests.Cluster;

/// <summary>Three brokers (node1..node3) joined through a real nats-server with JetStream, started for each test on 127.0.0.1.</summary>
public abstract class ClusterTestBase : IAsyncLifetime
{
    protected NatsServer Nats { get; private set; } = null!;

    protected List<BrokerFixture> Nodes { get; } = [];

    public async Task InitializeAsync()
    {
        Nats = NatsServer.Start();
        for (int i = 1; i <= 3; i++)
        {
            Nodes.Add(await StartNodeAsync($"node{i}"));
        }
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
            Nats.Dispose(); // even when a node's stop throws: a leaked nats-server outlives the test run
        }
    }

    protected Task<BrokerFixture> StartNodeAsync(string name) =>
        BrokerFixture.StartAsync(null, $"--Starling:Cluster:NatsUrl={Nats.Url}", $"--Starling:Cluster:NodeName={name}");

    protected static string? Retained(BrokerFixture node, string topic)
    {
        var found = new List<Broker.Routing.ApplicationMessage>();
        node.Broker.RetainedMessages.Match(topic, found);
        return found.Count == 0 ? null : System.Text.Encoding.UTF8.GetString(found[0].Payload.Span);
    }

    /// <summary>A node's NATS subscription follows its SUBACK: wait until a node holding each of <paramref name="filters"/> has it in NATS.</summary>
    protected async Task WhenRoutingAsync(params string[] filters)
    {
        foreach (string filter in filters)
        {
            await Poll.UntilAsync(
                () => Nodes.Any(n => n.Services.GetRequiredService<NatsCluster>().IsRouting(filter)),
                $"NATS to route {filter}");
        }
    }
}

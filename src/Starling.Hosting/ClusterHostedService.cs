using Microsoft.Extensions.Hosting;
using Starling.Cluster;

namespace Starling.Hosting;

/// <summary>
/// Joins the cluster before the broker starts (registered before <see cref="StarlingHostedService"/>, so the broker's
/// restored subscriptions reach NATS) and leaves it after the broker stopped (hosted services stop in reverse order).
/// </summary>
internal sealed class ClusterHostedService(NatsCluster cluster) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => cluster.StartAsync(cancellationToken);

    public async Task StopAsync(CancellationToken cancellationToken) => await cluster.DisposeAsync().ConfigureAwait(false);
}

using Microsoft.Extensions.Hosting;
using Starling.Bridge;

namespace Starling.Hosting;

/// <summary>
/// Starts the bridges once the broker has started (registered after <see cref="StarlingHostedService"/>: their local
/// sides are clients of it) and stops them before it stops (hosted services stop in reverse order), so their local
/// sessions are saved with the others.
/// </summary>
internal sealed class BridgeHostedService(IEnumerable<MqttBridge> bridges) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var bridge in bridges)
        {
            bridge.Start();
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await Task.WhenAll(bridges.Select(b => b.DisposeAsync().AsTask())).ConfigureAwait(false);
    }
}

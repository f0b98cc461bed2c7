using System.Diagnostics.Metrics;

namespace Starling.Cluster;

/// <summary>
/// The cluster's instruments (meter <see cref="MeterName"/>, tagged with the node's name), which the monitor's
/// Prometheus endpoint exports: what crosses to and from the other nodes, how many peers this node hears, what waits
/// for NATS, and what this node took up from nodes that were lost. Every instrument is observable: read when
/// collected, so the message path only counts.
/// </summary>
internal sealed class ClusterMetrics : IDisposable
{
    public const string MeterName = "Starling.Cluster";

    private readonly Meter _meter;

    public ClusterMetrics(string node, Func<(long Sent, long Received)> totals, Func<long> backlog, Func<int> peers, Func<(long Sessions, long Wills)> takenUp)
    {
        _meter = new Meter(new MeterOptions(MeterName) { Tags = [new KeyValuePair<string, object?>("node", node)] });
        _meter.CreateObservableCounter("starling.cluster.messages.sent", () => totals().Sent, description: "Messages published to NATS for other nodes");
        _meter.CreateObservableCounter("starling.cluster.messages.received", () => totals().Received, description: "Messages other nodes published that this node delivered");
        _meter.CreateObservableGauge("starling.cluster.send.backlog", backlog, description: "Messages waiting for the NATS client to take them (it could not at once)");
        _meter.CreateObservableGauge("starling.cluster.peers", peers, description: "Other nodes heard from within the peer timeout");
        _meter.CreateObservableCounter("starling.cluster.sessions.taken_up", () => takenUp().Sessions, description: "Sessions taken up from nodes that were lost");
        _meter.CreateObservableCounter("starling.cluster.wills.published", () => takenUp().Wills, description: "Wills published for clients of nodes that were lost");
    }

    public void Dispose() => _meter.Dispose();
}

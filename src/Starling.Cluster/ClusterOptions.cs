namespace Starling.Cluster;

/// <summary>Cluster mode (<c>Starling:Cluster</c>): on when a NATS server is named.</summary>
public sealed class ClusterOptions
{
    public const string Section = "Cluster";

    /// <summary>The NATS servers (<c>nats://host:4222</c>); one is enough, several are tried in turn.</summary>
    public List<string> NatsUrls { get; set; } = [];

    /// <summary>One NATS server, as a shorthand for <see cref="NatsUrls"/>.</summary>
    public string? NatsUrl { get; set; }

    /// <summary>This node's name, unique in the cluster (default: the machine name and the process id).</summary>
    public string? NodeName { get; set; }

    /// <summary>Copies of the retained stream NATS keeps (its JetStream replicas; at most the number of NATS servers).</summary>
    public int RetainedReplicas { get; set; } = 1;

    /// <summary>Copies of the sessions bucket (which node owns each client's session) NATS keeps.</summary>
    public int SessionReplicas { get; set; } = 1;

    public bool Enabled => !string.IsNullOrWhiteSpace(NatsUrl) || NatsUrls.Count > 0;

    public IReadOnlyList<string> Urls => [.. (NatsUrl is { Length: > 0 } one ? [one] : Array.Empty<string>()).Concat(NatsUrls)];

    public string Node => string.IsNullOrWhiteSpace(NodeName) ? $"{Environment.MachineName}-{Environment.ProcessId}" : NodeName;
}

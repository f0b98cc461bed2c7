using Starling.Mqtt;

namespace Starling.Bridge;

/// <summary>
/// One forwarded pattern, as mosquitto's <c>topic pattern direction qos local-prefix remote-prefix</c>: the topic
/// <c>LocalPrefix + t</c> here is <c>RemotePrefix + t</c> there, for every <c>t</c> that <see cref="Pattern"/> matches.
/// </summary>
public sealed class BridgeTopicOptions
{
    /// <summary>The topic filter, without the prefixes; may be empty when a prefix names the whole topic (mosquitto's <c>""</c>).</summary>
    public string Pattern { get; set; } = "";

    /// <summary><c>out</c> (here to there), <c>in</c> (there to here) or <c>both</c>.</summary>
    public BridgeDirection Direction { get; set; } = BridgeDirection.Out;

    /// <summary>The QoS of the bridge's subscriptions, and so the highest QoS a forwarded message keeps. Default 0, as mosquitto's.</summary>
    public MqttQualityOfService Qos { get; set; }

    /// <summary>Put before the pattern on this broker's side.</summary>
    public string LocalPrefix { get; set; } = "";

    /// <summary>Put before the pattern on the remote broker's side.</summary>
    public string RemotePrefix { get; set; } = "";

    /// <summary>What the bridge subscribes to here (for <c>out</c> and <c>both</c>).</summary>
    public string LocalFilter => LocalPrefix + Pattern;

    /// <summary>What the bridge subscribes to there (for <c>in</c> and <c>both</c>).</summary>
    public string RemoteFilter => RemotePrefix + Pattern;

    public bool Outbound => Direction is BridgeDirection.Out or BridgeDirection.Both;

    public bool Inbound => Direction is BridgeDirection.In or BridgeDirection.Both;

    /// <summary>The remote topic of a local message this topic forwards out, or null when it is not one of them.</summary>
    public string? ToRemote(string localTopic) => Map(localTopic, LocalFilter, LocalPrefix, RemotePrefix);

    /// <summary>The local topic of a remote message this topic forwards in, or null when it is not one of them.</summary>
    public string? ToLocal(string remoteTopic) => Map(remoteTopic, RemoteFilter, RemotePrefix, LocalPrefix);

    internal void Validate(string where)
    {
        if (!Enum.IsDefined(Qos))
        {
            throw new InvalidOperationException($"{where}: topic '{Pattern}': Qos must be 0, 1 or 2.");
        }

        foreach (string filter in new[] { LocalFilter, RemoteFilter })
        {
            if (filter.Length == 0 || !MqttTopic.IsValidTopicFilter(filter))
            {
                throw new InvalidOperationException($"{where}: topic '{Pattern}' with its prefixes gives '{filter}', which is not a valid topic filter.");
            }
        }

        if (MqttTopic.HasWildcard(LocalPrefix) || MqttTopic.HasWildcard(RemotePrefix))
        {
            throw new InvalidOperationException($"{where}: topic '{Pattern}': a prefix must not hold a wildcard.");
        }
    }

    private static string? Map(string topic, string filter, string fromPrefix, string toPrefix)
    {
        if (!MqttTopic.Matches(filter, topic) || !topic.StartsWith(fromPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        string mapped = toPrefix + topic[fromPrefix.Length..];
        return MqttTopic.IsValidTopicName(mapped) ? mapped : null;
    }
}

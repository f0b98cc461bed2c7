using Starling.Mqtt;

namespace Starling.Cli.Bench;

/// <summary>The bench scenarios.</summary>
public enum BenchScenario
{
    /// <summary>N pairs: publisher i publishes to bench/%i, subscriber i subscribes to it.</summary>
    P2p,

    /// <summary>N publishers to bench/in/%i, one subscriber on bench/in/#.</summary>
    Fanin,

    /// <summary>One publisher to bench/out, N subscribers.</summary>
    Fanout,

    /// <summary>Publishers only (to bench/%i); pair with a separate <c>bench sub</c>.</summary>
    Pub,

    /// <summary>Subscribers only (to bench/#); counts what a separate <c>bench pub</c> sends.</summary>
    Sub,

    /// <summary>Open N connections at a rate and keep them open.</summary>
    Conn,
}

/// <summary>Everything a bench run needs, from the command line.</summary>
internal sealed record BenchSettings
{
    /// <summary>Bytes at the start of each payload: publisher index, sequence number, Stopwatch timestamp.</summary>
    public const int PayloadHeaderSize = 24;

    public BenchScenario Scenario { get; init; }

    public string Host { get; init; } = "localhost";

    public int Port { get; init; } = 1883;

    /// <summary>The port subscribers connect to, when it is not <see cref="Port"/>: another node of a cluster, to measure the crossing.</summary>
    public int? SubscriberPort { get; init; }

    public int Publishers { get; init; }

    public int Subscribers { get; init; }

    public int Connections { get; init; }

    /// <summary>Extra subscribers that stop reading after their SUBACK; outside every count and the publishers' window.</summary>
    public int Stalled { get; init; }

    public MqttQualityOfService QoS { get; init; }

    public int Size { get; init; } = 64;

    /// <summary>Messages per second per publisher (conn: connections per second); 0 = as fast as the window allows.</summary>
    public double Rate { get; init; }

    /// <summary>The window per publisher: unacknowledged (QoS 1, 2) or not yet received (QoS 0) messages.</summary>
    public int InFlight { get; init; }

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan Warmup { get; init; }

    public MqttProtocolVersion Version { get; init; } = MqttProtocolVersion.V311;

    public string TopicTemplate { get; init; } = "bench/%i";

    /// <summary>The filter subscribers use.</summary>
    public string SubscriptionTemplate { get; init; } = "bench/%i";

    /// <summary>Subscribers keep their sessions: what a durable broker journals for them is part of the measurement.</summary>
    public bool PersistentSubscribers { get; init; }

    public bool Json { get; init; }

    /// <summary>Print a progress line every second.</summary>
    public bool Live { get; init; } = true;

    public string ClientIdPrefix { get; init; } = "starling-bench";

    public static string Expand(string template, int index) => template.Replace("%i", index.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
}

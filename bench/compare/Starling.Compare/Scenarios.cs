using System.Globalization;

namespace Starling.Compare;

/// <summary>One cell row of the matrix: a `starling bench` scenario, or the idle-connections measurement.</summary>
internal sealed record Scenario(string Id, string Title, string Kind, int Qos, int Size, int Publishers, int Subscribers, int Inflight)
{
    public bool IsIdle => Kind == "idle";

    /// <summary>Subscribers that stop reading (`starling bench --stalled`), on top of <see cref="Subscribers"/>.</summary>
    public int Stalled { get; init; }

    /// <summary>The same scenario without the stalled subscribers, whose throughput this one is divided by.</summary>
    public string? BaselineId { get; init; }

    /// <summary>
    /// Start every broker with its own per-client queue limits instead of the raised ones: a stalled client
    /// with unlimited queues only shows how fast a broker can fill its memory.
    /// </summary>
    public bool DefaultLimits => Stalled > 0;

    /// <summary>The arguments after `starling bench`, without host, port and durations.</summary>
    public IEnumerable<string> BenchArguments()
    {
        yield return Kind;
        // --clients is the pairs (p2p), the publishers (fanin) or the subscribers (fanout).
        var clients = Kind == "fanout" ? Subscribers : Publishers;
        foreach (var a in new[] { "--clients", I(clients), "-q", I(Qos), "--size", I(Size), "--inflight", I(Inflight), "--quiet" })
        {
            yield return a;
        }

        if (Stalled > 0)
        {
            yield return "--stalled";
            yield return I(Stalled);
        }
    }

    private static string I(int value) => value.ToString(CultureInfo.InvariantCulture);
}

internal static class Scenarios
{
    /// <summary>
    /// Each publisher pauses while it is more than `--inflight` messages ahead of the slowest subscriber of its
    /// messages: W = 100 everywhere, so about 1,000 messages are outstanding in p2p and fan-in (10 publishers), and
    /// 100 messages (5,000 deliveries) in fan-out. A fan-out window of 1,000 (the CLI's default for one publisher)
    /// added latency, not throughput: Starling, 3 s runs, W = 20 / 100 / 1000 gave 0.77M / 1.44M / 1.03M deliveries/s.
    /// </summary>
    public static IReadOnlyList<Scenario> Matrix(int idleConnections)
    {
        var list = new List<Scenario>();
        foreach (var size in new[] { 64, 4096 })
        {
            foreach (var qos in new[] { 0, 1 })
            {
                list.Add(new($"p2p-q{qos}-{size}", $"p2p 10 pairs, QoS {qos}, {SizeText(size)}", "p2p", qos, size, 10, 10, 100));
            }
        }

        foreach (var size in new[] { 64, 4096 })
        {
            foreach (var qos in new[] { 0, 1 })
            {
                list.Add(new($"fanin-q{qos}-{size}", $"fan-in 10→1, QoS {qos}, {SizeText(size)}", "fanin", qos, size, 10, 1, 100));
            }
        }

        foreach (var size in new[] { 64, 4096 })
        {
            list.Add(new($"fanout-q0-{size}", $"fan-out 1→50, QoS 0, {SizeText(size)}", "fanout", 0, size, 1, 50, 100));
            if (size == 64)
            {
                // Next to the row it is compared with: the same fan-out plus one subscriber that never reads.
                list.Add(new("slowsub-q0-64", "fan-out 1→50 + 1 stalled subscriber, QoS 0, 64 B", "fanout", 0, size, 1, 50, 100)
                {
                    Stalled = 1,
                    BaselineId = "fanout-q0-64",
                });
            }
        }

        list.Add(new("idle", $"{idleConnections:N0} idle connections (connect + SUBSCRIBE)", "idle", 0, 0, idleConnections, 0, 0));
        return list;
    }

    public static string SizeText(int size) => size >= 1024 ? $"{size / 1024} KB" : $"{size} B";
}

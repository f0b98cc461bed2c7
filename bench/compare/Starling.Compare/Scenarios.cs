using System.Globalization;

namespace Starling.Compare;

/// <summary>One cell row of the matrix: a `starling bench` scenario, or the idle-connections measurement.</summary>
internal sealed record Scenario(string Id, string Title, string Kind, int Qos, int Size, int Publishers, int Subscribers, int Inflight)
{
    public bool IsIdle => Kind == "idle";

    /// <summary>The arguments after `starling bench`, without host, port and durations.</summary>
    public IEnumerable<string> BenchArguments()
    {
        yield return Kind;
        foreach (var a in new[] { "--publishers", I(Publishers), "--subscribers", I(Subscribers), "-q", I(Qos), "--size", I(Size), "--inflight", I(Inflight) })
        {
            yield return a;
        }
    }

    private static string I(int value) => value.ToString(CultureInfo.InvariantCulture);
}

internal static class Scenarios
{
    /// <summary>
    /// Each publisher pauses while it is more than `--inflight` messages ahead of the slowest subscriber of its
    /// messages; the windows keep about 1,000 messages outstanding per scenario (BENCHMARK-NOTES.md).
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
            list.Add(new($"fanout-q0-{size}", $"fan-out 1→50, QoS 0, {SizeText(size)}", "fanout", 0, size, 1, 50, 1000));
        }

        list.Add(new("idle", $"{idleConnections:N0} idle connections (connect + SUBSCRIBE)", "idle", 0, 0, idleConnections, 0, 0));
        return list;
    }

    public static string SizeText(int size) => size >= 1024 ? $"{size / 1024} KB" : $"{size} B";
}

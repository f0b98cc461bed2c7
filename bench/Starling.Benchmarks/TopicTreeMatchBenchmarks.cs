using System.Text;
using BenchmarkDotNet.Attributes;
using Starling.Broker.Routing;

namespace Starling.Benchmarks;

/// <summary>
/// Matching a publish against a tree of many subscriptions, shaped like a building-sensor deployment: most
/// clients watch one room exactly, a few watch a floor with '+' or a building with '#', a shared group of
/// dashboards takes every temperature. The matched topic has a handful of subscribers; the cost must not
/// grow with <see cref="Subscriptions"/>.
/// </summary>
[MemoryDiagnoser]
public class TopicTreeMatchBenchmarks
{
    private const int FloorsPerBuilding = 10;
    private const int RoomsPerFloor = 25;
    private const int ClientsPerRoom = 3;

    private readonly List<BenchSubscription> _results = new(64);
    private TopicTree<BenchSubscription> _tree = null!;
    private byte[] _topicWithSubscribers = null!;
    private byte[] _topicWithoutSubscribers = null!;

    [Params(10_000, 100_000)]
    public int Subscriptions { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _tree = new TopicTree<BenchSubscription>();
        int rooms = Subscriptions / ClientsPerRoom;
        int buildings = Math.Max(1, rooms / (FloorsPerBuilding * RoomsPerFloor));
        for (int i = 0; i < Subscriptions; i++)
        {
            int room = i % rooms;
            (int building, int floor) = Locate(room, buildings);
            string clientId = $"client-{i}";
            (string filter, string? group) = (i % 1000) switch
            {
                // 1 in 50 clients watches a floor, 1 in 500 a building, 1 in 1000 is a dashboard in a shared group.
                < 20 => ($"sensors/b{building}/f{floor}/+/temp", null),
                < 22 => ($"sensors/b{building}/#", null),
                < 23 => ("sensors/+/+/+/temp", "dashboards"),
                _ => ($"sensors/b{building}/f{floor}/r{room}/temp", (string?)null),
            };
            _tree.AddOrReplace(filter, new BenchSubscription(clientId, group), out _);
        }

        // A room in the middle of the layout, placed by the same rule as the subscriptions above.
        int probe = rooms / 2 + 7;
        (int b, int f) = Locate(probe, buildings);
        _topicWithSubscribers = Encoding.UTF8.GetBytes($"sensors/b{b}/f{f}/r{probe}/temp");
        _topicWithoutSubscribers = Encoding.UTF8.GetBytes($"sensors/b{b}/f{f}/unknown/humidity");

        _results.Clear();
        _tree.Match(_topicWithSubscribers, _results);
        int few = _results.Count;
        _results.Clear();
        _tree.Match(_topicWithoutSubscribers, _results);
        Console.WriteLine($"// {_tree.Count} subscriptions; the topics match {few} and {_results.Count} subscriptions.");
        if (few is < 3 or > 20)
        {
            throw new InvalidOperationException($"The benchmark topic should have a few subscribers, not {few}.");
        }
    }

    private static (int Building, int Floor) Locate(int room, int buildings) =>
        (room / (FloorsPerBuilding * RoomsPerFloor) % buildings, room / RoomsPerFloor % FloorsPerBuilding);

    [Benchmark]
    public int MatchTopicWithFewSubscribers()
    {
        _results.Clear();
        _tree.Match(_topicWithSubscribers, _results);
        return _results.Count;
    }

    [Benchmark]
    public int MatchTopicWithNoExactSubscriber()
    {
        _results.Clear();
        _tree.Match(_topicWithoutSubscribers, _results);
        return _results.Count;
    }
}

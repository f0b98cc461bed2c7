using System.Collections.Concurrent;

namespace Starling.Examples.WebApp;

/// <summary>The last payload published on each sensors/... topic: written by the broker's hook, read by the app's endpoint.</summary>
public sealed class LatestReadings
{
    private readonly ConcurrentDictionary<string, string> _byTopic = new(StringComparer.Ordinal);

    /// <summary>Records <paramref name="payload"/> as the latest on <paramref name="topic"/>.</summary>
    public void Record(string topic, string payload) => _byTopic[topic] = payload;

    /// <summary>Every topic with its latest payload, sorted by topic.</summary>
    public IReadOnlyDictionary<string, string> Snapshot() => new SortedDictionary<string, string>(_byTopic, StringComparer.Ordinal);
}

using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Starling.Broker;
using Starling.Broker.Storage;
using Starling.Mqtt;
using Starling.Storage.Sqlite;

namespace Starling.Benchmarks;

/// <summary>
/// Recovery time of the SQLite store: opening the file (with its integrity check) and loading every session, then
/// the broker's start, which restores them into live sessions with their subscriptions in the topic tree.
/// 1,000,000 queued messages over 10,000 sessions (100 each, 64 B payloads), written once in the setup.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.ColdStart, launchCount: 1, warmupCount: 0, iterationCount: 3)]
public class SqliteRecoveryBenchmarks
{
    private const int Sessions = 10_000;
    private const int QueuedPerSession = 100;
    private string _directory = null!;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "starling-recovery-bench");
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }

        using var database = new SqliteDatabase(new SqliteStoreOptions { Path = _directory, Synchronous = SqliteSynchronous.Normal });
        var store = new SqliteSessionStateStore(database);
        var later = DateTimeOffset.UtcNow.AddDays(1);
        for (int i = 0; i < Sessions; i++)
        {
            var message = new StoredMessage($"site/{i % 100}/device/{i}", new byte[64], MqttQualityOfService.AtLeastOnce, false, null, "publisher", null);
            store.Save(new StoredSession(
                $"client-{i}",
                null,
                ExpiryInterval: 86_400,
                ExpiresAtUtc: later,
                Will: null,
                WillAtUtc: null,
                Subscriptions: [new StoredSubscription($"site/{i % 100}/device/{i}", MqttQualityOfService.AtLeastOnce, false, false, 0, 0)],
                Inflight: [],
                Pending: [.. Enumerable.Range(0, QueuedPerSession).Select(_ => new StoredDelivery(message, MqttQualityOfService.AtLeastOnce, false, null))],
                IncomingQoS2: [],
                LastPacketId: 0));
        }
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_directory, recursive: true);

    /// <summary>Open, check and read every record.</summary>
    [Benchmark]
    public int OpenAndLoad()
    {
        using var database = new SqliteDatabase(new SqliteStoreOptions { Path = _directory });
        return new SqliteSessionStateStore(database).Load().Sum(s => s.Pending.Count);
    }

    /// <summary>The whole recovery: open, load, and the broker's start restoring the live sessions.</summary>
    [Benchmark]
    public int OpenLoadAndStartBroker()
    {
        // As the host wires it: the store loads, the journal takes every change from then on.
        using var database = new SqliteDatabase(new SqliteStoreOptions { Path = _directory });
        using var journal = new SqliteJournal(database);
        var broker = new MqttBroker(
            new BrokerOptions { MaximumQueuedMessages = 1000 },
            retainedStore: new SqliteRetainedMessageStore(database, journaled: true),
            sessionState: new SqliteSessionStateStore(database),
            journal: journal);
        broker.Start();
        int count = broker.Sessions.Count;
        broker.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return count;
    }
}

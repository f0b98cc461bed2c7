using BenchmarkDotNet.Attributes;
using Starling.Broker;
using Starling.Broker.Storage;
using Starling.Mqtt;

namespace Starling.Benchmarks;

/// <summary>
/// What an ACL reload costs the broker (<see cref="MqttBroker.RevokeSubscriptions"/>, which AclHook calls after a
/// reload): every session's subscriptions are checked against the new rules, and its queued messages too, as
/// mosquitto checks read access when it sends. Sessions are offline with queued messages, the case that costs most;
/// they are restored from a session store, so no socket is involved.
/// </summary>
[MemoryDiagnoser]
public class RevocationBenchmarks
{
    private const int SubscriptionsPerSession = 3;
    private MqttBroker _broker = null!;

    [Params(1_000, 10_000)]
    public int Sessions { get; set; }

    [Params(0, 10)]
    public int QueuedPerSession { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var store = new InMemorySessionStateStore();
        var later = DateTimeOffset.UtcNow.AddDays(1);
        for (int i = 0; i < Sessions; i++)
        {
            var message = new StoredMessage($"site/{i % 100}/device/{i}/state", new byte[64], MqttQualityOfService.AtLeastOnce, false, null, null, null);
            store.Save(new StoredSession(
                $"client-{i}",
                $"user-{i % 50}",
                ExpiryInterval: 86_400,
                ExpiresAtUtc: later,
                Will: null,
                WillAtUtc: null,
                Subscriptions: [.. Enumerable.Range(0, SubscriptionsPerSession).Select(s => new StoredSubscription($"site/{i % 100}/device/{i}/{s}/#", MqttQualityOfService.AtLeastOnce, false, false, 0, 0))],
                Inflight: [],
                Pending: [.. Enumerable.Range(0, QueuedPerSession).Select(_ => new StoredDelivery(message, MqttQualityOfService.AtLeastOnce, false, null))],
                IncomingQoS2: [],
                LastPacketId: 0));
        }

        _broker = new MqttBroker(new BrokerOptions { MaximumQueuedMessages = 1000 }, sessionState: store);
        _broker.Start();
    }

    [GlobalCleanup]
    public void Cleanup() => _broker.DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>New rules that keep everything: the whole cost of checking, nothing removed (so every iteration is alike).</summary>
    [Benchmark]
    public int ReloadThatKeepsEverything() =>
        _broker.RevokeSubscriptions(grant => grant.Username is not null && !grant.TopicFilter.StartsWith("forbidden/", StringComparison.Ordinal));
}

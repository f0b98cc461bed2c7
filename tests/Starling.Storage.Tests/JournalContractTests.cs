using Starling.Broker.Routing;
using Starling.Broker.Storage;
using Starling.Mqtt;

namespace Starling.Storage.Tests;

/// <summary>
/// The journal's entries, once durable, leave exactly the state they describe for the next start to load; commits
/// batch what is pending (group commit); a commit that fails is never reported durable. Run against every durable
/// backend: memory, SQLite and a real redis-server.
/// </summary>
public abstract class JournalContractTests<TBackend> : IDisposable
    where TBackend : DurableBackend, new()
{
    private readonly TBackend _backend = new();

    public void Dispose()
    {
        _backend.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Entries_OnceDurable_AreWhatTheNextStartLoads_MQTT_4_1_0_1()
    {
        var header = StoreSamples.Session("j", pending: 0) with { Inflight = [], IncomingQoS2 = [] };
        using (var journal = _backend.OpenJournal())
        {
            journal.Append(new JournalEntry(JournalEntryKind.SessionReplaced, "j", Record: header));
            journal.Append(Added("j", 0, "m0", packetId: 1));                 // straight in flight
            journal.Append(Added("j", 1, "m1"));                              // queued
            journal.Append(Added("j", 2, "m2"));                              // queued
            journal.Append(Added("j", 3, "m3", MqttQualityOfService.ExactlyOnce, packetId: 2));
            journal.Append(new JournalEntry(JournalEntryKind.DeliveryRemoved, "j", Sequence: 0));        // PUBACK
            journal.Append(new JournalEntry(JournalEntryKind.DeliverySent, "j", Sequence: 1, PacketId: 3));
            journal.Append(new JournalEntry(JournalEntryKind.DeliveryReleased, "j", Sequence: 3));      // PUBREC
            journal.Append(new JournalEntry(JournalEntryKind.IncomingAdded, "j", PacketId: 40));
            journal.Append(new JournalEntry(JournalEntryKind.IncomingAdded, "j", PacketId: 41));
            long last = journal.Append(new JournalEntry(JournalEntryKind.IncomingReleased, "j", PacketId: 40));
            await journal.WhenDurableAsync(last);
            Assert.True(journal.DurablePosition >= last);
        }

        _backend.Reopen();
        var loaded = Assert.Single(_backend.Sessions.Load());
        Assert.Equal(header.Subscriptions.Count, loaded.Subscriptions.Count);
        Assert.Equal([("m1", (ushort)3, false), ("m3", (ushort)2, true)], loaded.Inflight.Select(i => (Text(i.Delivery.Message), i.PacketId, i.Released)));
        Assert.Equal(["m2"], loaded.Pending.Select(p => Text(p.Message)));
        Assert.Equal([(ushort)41], loaded.IncomingQoS2);
        Assert.Equal([7u, 9u], loaded.Pending[0].SubscriptionIds!);
    }

    [Fact]
    public async Task SessionDeleted_And_Retained_AreApplied()
    {
        using (var journal = _backend.OpenJournal())
        {
            journal.Append(new JournalEntry(JournalEntryKind.SessionReplaced, "gone", Record: StoreSamples.Session("gone")));
            journal.Append(new JournalEntry(JournalEntryKind.SessionDeleted, "gone"));
            journal.Append(new JournalEntry(JournalEntryKind.RetainedSet, "r/1", Retained: Live("r/1", "one")));
            journal.Append(new JournalEntry(JournalEntryKind.RetainedSet, "r/2", Retained: Live("r/2", "two")));
            await journal.WhenDurableAsync(journal.Append(new JournalEntry(JournalEntryKind.RetainedRemoved, "r/2")));
        }

        _backend.Reopen();
        Assert.Empty(_backend.Sessions.Load());
        var matches = new List<ApplicationMessage>();
        _backend.Retained.Match("#", matches);
        Assert.Equal(["r/1"], matches.Select(m => m.Topic));
    }

    [Fact]
    public async Task Deliveries_WithAndWithoutSubscriptionIds_InAnyOrder_AreStored()
    {
        using (var journal = _backend.OpenJournal())
        {
            journal.Append(new JournalEntry(JournalEntryKind.SessionReplaced, "ids", Record: StoreSamples.Session("ids", pending: 0) with { Inflight = [] }));
            var none = new OutgoingMessage(Live("j/t", "none"), MqttQualityOfService.AtLeastOnce, false, null);
            await journal.WhenDurableAsync(journal.Append(new JournalEntry(JournalEntryKind.DeliveryAdded, "ids", 10, Delivery: none))); // a first row without identifiers
            await journal.WhenDurableAsync(journal.Append(Added("ids", 11, "with"))); // then one with
            await journal.WhenDurableAsync(journal.Append(new JournalEntry(JournalEntryKind.DeliveryAdded, "ids", 12, PacketId: 5, Delivery: none)));
        }

        _backend.Reopen();
        var loaded = Assert.Single(_backend.Sessions.Load());
        Assert.Equal(["none", "with"], loaded.Pending.Select(p => Text(p.Message)));
        Assert.Null(loaded.Pending[0].SubscriptionIds);
        Assert.Equal([7u, 9u], loaded.Pending[1].SubscriptionIds!);
        Assert.Equal([(ushort)5], loaded.Inflight.Select(i => i.PacketId));
    }

    [Fact]
    public async Task ManyWriters_ShareCommits_GroupCommit()
    {
        using var journal = _backend.OpenJournal();
        journal.Append(new JournalEntry(JournalEntryKind.SessionReplaced, "g", Record: StoreSamples.Session("g", pending: 0) with { Inflight = [] }));
        const int Writers = 8;
        const int PerWriter = 500;
        var message = Live("g/t", "x");
        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (int i = 0; i < PerWriter; i++)
            {
                long sequence = 10 + (w * PerWriter) + i;
                long position = journal.Append(new JournalEntry(JournalEntryKind.DeliveryAdded, "g", sequence, Delivery: new OutgoingMessage(message, MqttQualityOfService.AtLeastOnce, false, null)));
                await journal.WhenDurableAsync(position); // each writer waits for its own, as a publisher's PUBACK does
            }
        })).ToArray();
        await Task.WhenAll(writers);
        var (commits, entries) = journal.Totals;
        Assert.Equal(1 + (Writers * PerWriter), entries);
        Assert.True(commits < entries / 2, $"{commits} commits for {entries} entries: commits are not shared");
        Assert.Equal(Writers * PerWriter, Assert.Single(_backend.Sessions.Load()).Pending.Count);
    }

    [Fact]
    public async Task FailedCommit_IsNeverReportedDurable()
    {
        using var journal = _backend.OpenJournal();
        await journal.WhenDurableAsync(journal.Append(new JournalEntry(JournalEntryKind.SessionDeleted, "warm-up")));
        _backend.Break(); // the store is gone from under the journal: the next commit cannot happen
        long position = journal.Append(new JournalEntry(JournalEntryKind.SessionDeleted, "lost"));
        await Assert.ThrowsAsync<StoreFailedException>(async () => await journal.WhenDurableAsync(position));
        Assert.True(journal.DurablePosition < position);
        await Assert.ThrowsAsync<StoreFailedException>(async () => await journal.WhenDurableAsync(position)); // and stays failed
    }

    private static JournalEntry Added(string clientId, long sequence, string payload, MqttQualityOfService qos = MqttQualityOfService.AtLeastOnce, ushort packetId = 0) =>
        new(JournalEntryKind.DeliveryAdded, clientId, sequence, packetId, Delivery: new OutgoingMessage(Live("j/t", payload), qos, false, [7, 9]));

    private static ApplicationMessage Live(string topic, string payload) =>
        new(topic, System.Text.Encoding.UTF8.GetBytes(payload), MqttQualityOfService.AtLeastOnce, retain: true);

    private static string Text(StoredMessage message) => System.Text.Encoding.UTF8.GetString(message.Payload);
}

public sealed class MemoryJournalContractTests : JournalContractTests<MemoryBackend>;

public sealed class SqliteJournalContractTests : JournalContractTests<SqliteBackend>;

public sealed class RedisJournalContractTests : JournalContractTests<RedisBackend>;

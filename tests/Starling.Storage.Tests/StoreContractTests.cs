using Starling.Broker.Routing;
using Starling.Broker.Storage;
using Starling.Mqtt;

namespace Starling.Storage.Tests;

/// <summary>
/// The contract every backend keeps, run against each of them (as gmqtt runs one persistence suite for all its
/// backends): what was saved is loaded again whole, after the store is closed and opened again.
/// </summary>
public abstract class StoreContractTests<TBackend> : IDisposable
    where TBackend : StoreBackend, new()
{
    private readonly TBackend _backend = new();

    public void Dispose()
    {
        _backend.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public void SavedSession_LoadsWhole_AfterReopen_MQTT_4_1_0_1()
    {
        var record = StoreSamples.Session("whole");
        _backend.Sessions.Save(record);
        _backend.Reopen();
        var loaded = Assert.Single(_backend.Sessions.Load());
        StoredRecordAssert.Equal(record, loaded);
    }

    [Fact]
    public void Save_ReplacesTheClientsRecord_AndLeavesOthers()
    {
        _backend.Sessions.Save(StoreSamples.Session("replaced", pending: 5));
        _backend.Sessions.Save(StoreSamples.Session("other", pending: 1));
        var shorter = StoreSamples.Session("replaced", pending: 1) with { Inflight = [], IncomingQoS2 = [], Will = null, WillAtUtc = null, Username = null };
        _backend.Sessions.Save(shorter);
        _backend.Reopen();
        var loaded = _backend.Sessions.Load().ToDictionary(s => s.ClientId);
        Assert.Equal(2, loaded.Count);
        StoredRecordAssert.Equal(shorter, loaded["replaced"]);
        StoredRecordAssert.Equal(StoreSamples.Session("other", pending: 1), loaded["other"]);
    }

    [Fact]
    public void Delete_RemovesTheRecord_AndIsQuietForAnUnknownClient()
    {
        _backend.Sessions.Save(StoreSamples.Session("gone"));
        _backend.Sessions.Delete("gone");
        _backend.Sessions.Delete("never-saved");
        _backend.Reopen();
        Assert.Empty(_backend.Sessions.Load());
    }

    [Fact]
    public void PendingOrder_IsKept()
    {
        _backend.Sessions.Save(StoreSamples.Session("ordered", pending: 50));
        _backend.Reopen();
        var pending = Assert.Single(_backend.Sessions.Load()).Pending;
        Assert.Equal(Enumerable.Range(0, 50).Select(i => "x/" + i), pending.Select(p => p.Message.Topic));
    }

    [Fact]
    public void Retained_SetReplaceRemove_SurviveReopen_MQTT_3_3_1_5()
    {
        _backend.Retained.Set(Live("r/a", "first"));
        _backend.Retained.Set(Live("r/a", "second")); // [MQTT-3.3.1-5] replaces
        _backend.Retained.Set(Live("r/b", "kept"));
        _backend.Retained.Set(Live("r/c", "removed"));
        _backend.Retained.Remove("r/c"); // [MQTT-3.3.1-10]
        _backend.Reopen();
        Assert.Equal(2, _backend.Retained.Count);
        var matches = new List<ApplicationMessage>();
        _backend.Retained.Match("r/#", matches);
        Assert.Equal(["r/a:second", "r/b:kept"], matches.Select(m => $"{m.Topic}:{System.Text.Encoding.UTF8.GetString(m.Payload.Span)}").Order());
        var a = matches.Single(m => m.Topic == "r/a");
        Assert.Equal("text/plain", a.Properties?.ContentType);
        Assert.Equal("sender", a.SenderClientId);
    }

    [Fact]
    public void Retained_WithMessageExpiry_KeepsTheRemainingInterval_MQTT_3_3_2_6()
    {
        var message = Live("r/expiring", "soon", new MqttProperties { MessageExpiryInterval = 3600 });
        _backend.Retained.Set(message);
        _backend.Reopen();
        var matches = new List<ApplicationMessage>();
        _backend.Retained.Match("r/expiring", matches);
        uint remaining = Assert.Single(matches).Properties!.MessageExpiryInterval!.Value;
        Assert.InRange(remaining, 3590u, 3600u);
    }

    private static ApplicationMessage Live(string topic, string payload, MqttProperties? properties = null) =>
        new(topic, System.Text.Encoding.UTF8.GetBytes(payload), MqttQualityOfService.AtLeastOnce, retain: true, properties ?? new MqttProperties { ContentType = "text/plain" }, "sender");
}

public sealed class MemoryStoreContractTests : StoreContractTests<MemoryBackend>;

public sealed class SqliteStoreContractTests : StoreContractTests<SqliteBackend>;

public sealed class RedisStoreContractTests : StoreContractTests<RedisBackend>;

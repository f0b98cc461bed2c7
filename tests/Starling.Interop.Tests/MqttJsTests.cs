using System.Text.Json;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using Starling.Interop.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Starling.Interop.Tests;

/// <summary>
/// MQTT.js (npm "mqtt", run by Node through tests/js/mqttjs-driver.mjs) against the broker, in 3.1.1 (protocolVersion 4) and 5.0.
/// Clause ids in the names of 5.0 tests are MQTT 5.0's; those of tests run in both versions are 3.1.1's where they differ.
/// </summary>
public sealed class MqttJsTests(ITestOutputHelper output) : BrokerTestBase
{
    private const int V311 = 4;
    private const int V5 = 5;

    [Theory]
    [InlineData(V311, 0)]
    [InlineData(V311, 1)]
    [InlineData(V311, 2)]
    [InlineData(V5, 0)]
    [InlineData(V5, 1)]
    [InlineData(V5, 2)]
    public async Task MqttJs_RoundTrip_AtEachQoS(int version, int qos)
    {
        await using var subscriber = await MqttJs.ConnectAsync(Broker, version, Id("js-sub"));
        await using var publisher = await MqttJs.ConnectAsync(Broker, version, Id("js-pub"));
        Assert.Equal(new[] { qos }, await subscriber.SubscribeAsync("js/qos", new { qos }));

        var ack = await publisher.PublishAsync("js/qos", $"payload-{qos}", new { qos });
        Assert.Equal(qos, ack.GetProperty("acks").GetArrayLength()); // QoS 1: PUBACK; QoS 2: PUBREC, PUBCOMP
        foreach (var received in ack.GetProperty("acks").EnumerateArray())
        {
            Assert.Equal(0, received.GetProperty("reasonCode").GetInt32());
        }

        var message = await subscriber.NextMessageAsync();
        Assert.Equal("js/qos", message.Topic);
        Assert.Equal($"payload-{qos}", message.Text);
        Assert.Equal(qos, message.QoS);
        Assert.False(message.Retain);
        Assert.False(message.Dup);
        Assert.Null(await subscriber.NextMessageAsync(Short));
    }

    /// <summary>A 3.1.1 client and a 5.0 client (one MQTT.js, the other MQTTnet) on one topic: each gets both messages, each in packets of its own version.</summary>
    [Theory]
    [InlineData(V311, 0)]
    [InlineData(V311, 1)]
    [InlineData(V311, 2)]
    [InlineData(V5, 0)]
    [InlineData(V5, 1)]
    [InlineData(V5, 2)]
    public async Task MqttJs_And_MqttNet_OfOtherVersion_Exchange(int jsVersion, int qos)
    {
        var netVersion = jsVersion == V5 ? MqttProtocolVersion.V311 : MqttProtocolVersion.V500;
        var level = (MqttQualityOfServiceLevel)qos;
        await using var js = await MqttJs.ConnectAsync(Broker, jsVersion, Id("js"));
        await using var net = await MqttNet.ConnectAsync(Broker, Id("net"), netVersion);
        Assert.Equal(new[] { qos }, await js.SubscribeAsync("mix/t", new { qos }));
        await net.SubscribeAsync("mix/t", level);

        object jsOptions = jsVersion == V5
            ? new { qos, properties = new { userProperties = new Dictionary<string, string> { ["from"] = "mqtt.js" } } }
            : new { qos };
        await js.PublishAsync("mix/t", "from-js", jsOptions);
        var fromNet = new MqttApplicationMessageBuilder().WithTopic("mix/t").WithPayload("from-net").WithQualityOfServiceLevel(level);
        if (netVersion == MqttProtocolVersion.V500)
        {
            fromNet.WithUserProperty("from", "mqttnet"u8.ToArray());
        }

        Assert.True((await net.Client.PublishAsync(fromNet.Build())).IsSuccess);

        var jsReceived = new[] { await js.NextMessageAsync(), await js.NextMessageAsync() }.OrderBy(m => m.Text, StringComparer.Ordinal).ToArray();
        Assert.Equal(["from-js", "from-net"], jsReceived.Select(m => m.Text));
        Assert.All(jsReceived, m => Assert.Equal(qos, m.QoS));
        Assert.All(jsReceived, m => Assert.Equal("mix/t", m.Topic));
        if (jsVersion == V5)
        {
            // 5.0 receiver: the 5.0 publisher's (its own) user property, nothing from the 3.1.1 publisher.
            Assert.Equal([KeyValuePair.Create("from", "mqtt.js")], jsReceived[0].UserProperties);
            Assert.Empty(jsReceived[1].UserProperties);
        }
        else
        {
            Assert.All(jsReceived, m => Assert.Null(m.Properties)); // a 3.1.1 PUBLISH has no properties
        }

        var netReceived = new[] { net.Next(), net.Next() }.OrderBy(MqttNet.Text, StringComparer.Ordinal).ToArray();
        Assert.Equal(["from-js", "from-net"], netReceived.Select(MqttNet.Text));
        Assert.All(netReceived, m => Assert.Equal(level, m.QualityOfServiceLevel));
        if (netVersion == MqttProtocolVersion.V500)
        {
            Assert.Empty(netReceived[0].UserProperties ?? []);
            Assert.Equal([("from", "mqttnet")], netReceived[1].UserProperties!.Select(p => (p.Name, p.ReadValueAsString())));
        }
        else
        {
            Assert.All(netReceived, m => Assert.Empty(m.UserProperties ?? []));
        }

        Assert.Null(await js.NextMessageAsync(Short));
        Assert.Null(net.Next(Short));
    }

    [Theory]
    [InlineData(V311)]
    [InlineData(V5)]
    public async Task MqttJs_Retained_IsSentOnSubscribe_WithRetainSet_MQTT_3_3_1_8(int version)
    {
        await using var publisher = await MqttJs.ConnectAsync(Broker, version, Id("js-pub"));
        await publisher.PublishAsync("js/ret", "kept", new { qos = 1, retain = true });

        await using var subscriber = await MqttJs.ConnectAsync(Broker, version, Id("js-sub"));
        await subscriber.SubscribeAsync("js/+", new { qos = 1 });
        var message = await subscriber.NextMessageAsync();
        Assert.Equal("js/ret", message.Topic);
        Assert.Equal("kept", message.Text);
        Assert.True(message.Retain);
        Assert.Equal(1, message.QoS);
        Assert.Null(await subscriber.NextMessageAsync(Short));
    }

    /// <summary>Payload Format Indicator [MQTT-3.3.2-4], Response Topic [MQTT-3.3.2-15], Correlation Data [MQTT-3.3.2-16], User Properties unaltered and in order [MQTT-3.3.2-17, MQTT-3.3.2-18], Content Type [MQTT-3.3.2-20].</summary>
    [Fact]
    public async Task MqttJs_V5_PublishProperties_ForwardedUnaltered_MQTT_3_3_2_4_15_16_17_18_20()
    {
        byte[] correlation = [0x00, 0xFF, 0x10, 0x80, 0x7F, 0x01];
        await using var jsSubscriber = await MqttJs.ConnectAsync(Broker, V5, Id("js-sub"));
        await jsSubscriber.SubscribeAsync("props/t", new { qos = 1 });
        await using var netSubscriber = await MqttNet.ConnectAsync(Broker, Id("net-sub"), MqttProtocolVersion.V500);
        await netSubscriber.SubscribeAsync("props/t", MqttQualityOfServiceLevel.AtLeastOnce);
        await using var publisher = await MqttJs.ConnectAsync(Broker, V5, Id("js-pub"));

        // MQTT.js writes user properties in the object's key order, a repeated name's values in array order: z=1, a=2, a=3, m=4, é=ü.
        var userProperties = new Dictionary<string, object> { ["z"] = "1", ["a"] = new[] { "2", "3" }, ["m"] = "4", ["é"] = "ü" };
        await publisher.PublishAsync("props/t", "{\"v\":1}", new
        {
            qos = 1,
            properties = new
            {
                payloadFormatIndicator = true,
                contentType = "application/json; charset=utf-8",
                responseTopic = "props/reply/42",
                correlationData = Convert.ToBase64String(correlation),
                userProperties,
            },
        });
        (string, string)[] expected = [("z", "1"), ("a", "2"), ("a", "3"), ("m", "4"), ("é", "ü")];

        var js = await jsSubscriber.NextMessageAsync();
        Assert.Equal("{\"v\":1}", js.Text);
        Assert.True(js.Property("payloadFormatIndicator")!.Value.GetBoolean());
        Assert.Equal("application/json; charset=utf-8", js.Property("contentType")!.Value.GetString());
        Assert.Equal("props/reply/42", js.Property("responseTopic")!.Value.GetString());
        Assert.Equal(correlation, Convert.FromBase64String(js.Property("correlationData")!.Value.GetString()!));
        Assert.Equal(expected, js.UserProperties.Select(p => (p.Key, p.Value)));

        // MQTTnet keeps user properties as a list, so it shows the exact order on the wire, repeated names included.
        var net = netSubscriber.Next();
        Assert.Equal(MqttPayloadFormatIndicator.CharacterData, net.PayloadFormatIndicator);
        Assert.Equal("application/json; charset=utf-8", net.ContentType);
        Assert.Equal("props/reply/42", net.ResponseTopic);
        Assert.Equal(correlation, net.CorrelationData);
        Assert.Equal(expected, net.UserProperties!.Select(p => (p.Name, p.ReadValueAsString())));
    }

    /// <summary>Two overlapping subscriptions with identifiers 1 and 2: a single copy carries both [MQTT-3.3.4-4], or one copy per subscription carries its own [MQTT-3.3.4-5].</summary>
    [Fact]
    public async Task MqttJs_V5_OverlappingSubscriptions_CarryBothSubscriptionIdentifiers_MQTT_3_3_4_3()
    {
        await using var subscriber = await MqttJs.ConnectAsync(Broker, V5, Id("js-sub"));
        await subscriber.SubscribeAsync("sid/+", new { qos = 1, properties = new { subscriptionIdentifier = 1 } });
        await subscriber.SubscribeAsync("sid/#", new { qos = 1, properties = new { subscriptionIdentifier = 2 } });
        await using var publisher = await MqttJs.ConnectAsync(Broker, V5, Id("js-pub"));
        await publisher.PublishAsync("sid/x", "both", new { qos = 1 });

        var copies = new List<MqttJsMessage> { await subscriber.NextMessageAsync() };
        while (await subscriber.NextMessageAsync(Short) is { } more)
        {
            copies.Add(more);
        }

        output.WriteLine($"{copies.Count} cop{(copies.Count == 1 ? "y" : "ies")}: {string.Join(", ", copies.Select(c => $"[{string.Join(',', c.SubscriptionIdentifiers)}]"))}");
        Assert.All(copies, c => Assert.Equal("both", c.Text));
        if (copies.Count == 1)
        {
            Assert.Equal([1, 2], copies[0].SubscriptionIdentifiers.Order());
        }
        else
        {
            Assert.Equal(2, copies.Count);
            Assert.Equal([1, 2], copies.Select(c => Assert.Single(c.SubscriptionIdentifiers)).Order());
        }
    }

    [Fact]
    public async Task MqttJs_V5_NoLocal_OwnMessageIsNotReceived_MQTT_3_8_3_3()
    {
        await using var self = await MqttJs.ConnectAsync(Broker, V5, Id("js-self"));
        await self.SubscribeAsync("nl/t", new { qos = 1, nl = true });
        await using var other = await MqttJs.ConnectAsync(Broker, V5, Id("js-other"));
        await other.SubscribeAsync("nl/t", new { qos = 1 });

        await self.PublishAsync("nl/t", "mine", new { qos = 1 });
        Assert.Equal("mine", (await other.NextMessageAsync()).Text); // the message was routed
        await other.PublishAsync("nl/t", "theirs", new { qos = 1 });
        Assert.Equal("theirs", (await self.NextMessageAsync()).Text); // and the subscription works for others' messages
        Assert.Equal("theirs", (await other.NextMessageAsync()).Text);
        Assert.Null(await self.NextMessageAsync(Short));
    }

    /// <summary>A live retained PUBLISH keeps RETAIN=1 with Retain As Published [MQTT-3.3.1-13] and gets RETAIN=0 without [MQTT-3.3.1-12].</summary>
    [Fact]
    public async Task MqttJs_V5_RetainAsPublished_KeepsRetainFlagOnLiveMessage_MQTT_3_3_1_12_13()
    {
        await using var asPublished = await MqttJs.ConnectAsync(Broker, V5, Id("js-rap"));
        await asPublished.SubscribeAsync("rap/t", new { qos = 1, rap = true });
        await using var plain = await MqttJs.ConnectAsync(Broker, V5, Id("js-plain"));
        await plain.SubscribeAsync("rap/t", new { qos = 1, rap = false });
        await using var publisher = await MqttJs.ConnectAsync(Broker, V5, Id("js-pub"));

        await publisher.PublishAsync("rap/t", "retained", new { qos = 1, retain = true });
        await publisher.PublishAsync("rap/t", "not-retained", new { qos = 1, retain = false });

        var kept = await asPublished.NextMessageAsync();
        Assert.Equal(("retained", true), (kept.Text, kept.Retain));
        var notKept = await asPublished.NextMessageAsync();
        Assert.Equal(("not-retained", false), (notKept.Text, notKept.Retain));
        var cleared = await plain.NextMessageAsync();
        Assert.Equal(("retained", false), (cleared.Text, cleared.Retain));
        var plainLive = await plain.NextMessageAsync();
        Assert.Equal(("not-retained", false), (plainLive.Text, plainLive.Retain));
    }

    [Fact]
    public async Task MqttJs_V5_RetainHandling2_SendsNoRetainedOnSubscribe_MQTT_3_3_1_11()
    {
        await using var publisher = await MqttJs.ConnectAsync(Broker, V5, Id("js-pub"));
        await publisher.PublishAsync("rh/t", "kept", new { qos = 1, retain = true });

        await using var subscriber = await MqttJs.ConnectAsync(Broker, V5, Id("js-sub"));
        Assert.Equal(new[] { 1 }, await subscriber.SubscribeAsync("rh/t", new { qos = 1, rh = 2 }));
        Assert.Null(await subscriber.NextMessageAsync(Short));

        await publisher.PublishAsync("rh/t", "live", new { qos = 1 });
        Assert.Equal("live", (await subscriber.NextMessageAsync()).Text); // the subscription itself works
    }

    /// <summary>Retain Handling 1 sends retained messages only when the subscription did not exist [MQTT-3.3.1-10]; Retain Handling 0 sends them on every subscribe [MQTT-3.3.1-9].</summary>
    [Fact]
    public async Task MqttJs_V5_RetainHandling1_SendsRetainedOnlyOnFirstSubscribe_MQTT_3_3_1_10()
    {
        await using var publisher = await MqttJs.ConnectAsync(Broker, V5, Id("js-pub"));
        await publisher.PublishAsync("rh1/t", "kept", new { qos = 1, retain = true });

        await using var subscriber = await MqttJs.ConnectAsync(Broker, V5, Id("js-sub"));
        await subscriber.SubscribeAsync("rh1/t", new { qos = 1, rh = 1 });
        var first = await subscriber.NextMessageAsync();
        Assert.Equal(("kept", true), (first.Text, first.Retain));

        await subscriber.SubscribeAsync("rh1/t", new { qos = 1, rh = 1 });
        Assert.Null(await subscriber.NextMessageAsync(Short));

        await subscriber.SubscribeAsync("rh1/t", new { qos = 1, rh = 0 });
        var again = await subscriber.NextMessageAsync();
        Assert.Equal(("kept", true), (again.Text, again.Retain));
    }

    /// <summary>$share/g/topic with two members: each message goes to one member only (section 4.8.2), nothing lost or duplicated.</summary>
    [Fact]
    public async Task MqttJs_V5_SharedSubscription_EachMessageToOneMember_4_8_2()
    {
        await using var first = await MqttJs.ConnectAsync(Broker, V5, Id("js-m1"));
        await using var second = await MqttJs.ConnectAsync(Broker, V5, Id("js-m2"));
        Assert.Equal(new[] { 1 }, await first.SubscribeAsync("$share/g/sh/t", new { qos = 1 }));
        Assert.Equal(new[] { 1 }, await second.SubscribeAsync("$share/g/sh/t", new { qos = 1 }));
        await using var publisher = await MqttJs.ConnectAsync(Broker, V5, Id("js-pub"));
        for (int i = 0; i < 10; i++)
        {
            await publisher.PublishAsync("sh/t", $"m{i}", new { qos = 1 });
        }

        var toFirst = await DrainAsync(first);
        var toSecond = await DrainAsync(second);
        output.WriteLine($"member 1: {string.Join(' ', toFirst)}; member 2: {string.Join(' ', toSecond)}");
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"m{i}"), toFirst.Concat(toSecond).OrderBy(s => int.Parse(s[1..], System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>Retained messages are sent on a new non-shared subscription only (section 3.3.1.3): none on subscribing to $share/g/topic.</summary>
    [Fact]
    public async Task MqttJs_V5_SharedSubscription_GetsNoRetainedOnSubscribe_3_3_1_3()
    {
        await using var publisher = await MqttJs.ConnectAsync(Broker, V5, Id("js-pub"));
        await publisher.PublishAsync("shr/t", "kept", new { qos = 1, retain = true });

        await using var member = await MqttJs.ConnectAsync(Broker, V5, Id("js-member"));
        Assert.Equal(new[] { 1 }, await member.SubscribeAsync("$share/g/shr/t", new { qos = 1 }));
        Assert.Null(await member.NextMessageAsync(Short));

        await using var plain = await MqttJs.ConnectAsync(Broker, V5, Id("js-plain"));
        await plain.SubscribeAsync("shr/t", new { qos = 1 });
        Assert.True((await plain.NextMessageAsync()).Retain); // the retained message is there
    }

    [Fact]
    public async Task MqttJs_V5_EmptyClientId_ConnackCarriesAssignedClientIdentifier_MQTT_3_2_2_16()
    {
        await using var first = await MqttJs.ConnectAsync(Broker, V5, clientId: "");
        await using var second = await MqttJs.ConnectAsync(Broker, V5, clientId: "");
        string firstId = AssignedId(first);
        string secondId = AssignedId(second);
        Assert.NotEqual(firstId, secondId); // a new identifier, not used by any other session

        static string AssignedId(MqttJs client)
        {
            Assert.Equal(0, client.Connack.GetProperty("reasonCode").GetInt32());
            Assert.False(client.Connack.GetProperty("sessionPresent").GetBoolean());
            var properties = client.Connack.GetProperty("properties");
            Assert.Equal(JsonValueKind.Object, properties.ValueKind);
            string? id = properties.TryGetProperty("assignedClientIdentifier", out var value) ? value.GetString() : null;
            Assert.False(string.IsNullOrEmpty(id), "CONNACK has no Assigned Client Identifier: " + client.Connack.GetRawText());
            return id!;
        }
    }

    /// <summary>A second connection with the same ClientID takes the session over: the first gets DISCONNECT 0x8E (Session taken over) and is closed [MQTT-3.1.4-3].</summary>
    [Fact]
    public async Task MqttJs_V5_SessionTakenOver_FirstClientGetsDisconnect0x8E_MQTT_3_1_4_3()
    {
        string clientId = Id("js-same");
        await using var first = await MqttJs.ConnectAsync(Broker, V5, clientId);
        await using var second = await MqttJs.ConnectAsync(Broker, V5, clientId);

        var disconnect = await first.NextEventAsync(TimeSpan.FromSeconds(5));
        Assert.True(disconnect.HasValue, "no event on the first client");
        Assert.Equal("disconnect", disconnect.Value.GetProperty("event").GetString());
        Assert.Equal(0x8E, disconnect.Value.GetProperty("reasonCode").GetInt32());
        var close = await first.NextEventAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("close", close?.GetProperty("event").GetString());

        Assert.Equal(new[] { 0 }, await second.SubscribeAsync("takeover/t", new { qos = 0 })); // the new connection works
    }

    /// <summary>The Message Expiry Interval is forwarded minus the time spent waiting in the server [MQTT-3.3.2-6].</summary>
    [Fact]
    public async Task MqttJs_V5_MessageExpiry_IsForwardedAsRemainingInterval_MQTT_3_3_2_6()
    {
        await using var subscriber = await MqttJs.ConnectAsync(Broker, V5, Id("js-sub"));
        await subscriber.SubscribeAsync("exp/live", new { qos = 1 });
        await using var publisher = await MqttJs.ConnectAsync(Broker, V5, Id("js-pub"));
        await publisher.PublishAsync("exp/live", "x", new { qos = 1, properties = new { messageExpiryInterval = 60 } });
        Assert.InRange((await subscriber.NextMessageAsync()).Property("messageExpiryInterval")!.Value.GetInt32(), 1, 60);

        await publisher.PublishAsync("exp/ret", "kept", new { qos = 1, retain = true, properties = new { messageExpiryInterval = 100 } });
        await Task.Delay(TimeSpan.FromSeconds(1.2));
        await subscriber.SubscribeAsync("exp/ret", new { qos = 1 });
        var retained = await subscriber.NextMessageAsync();
        Assert.Equal("kept", retained.Text);
        Assert.InRange(retained.Property("messageExpiryInterval")!.Value.GetInt32(), 1, 99);
    }

    /// <summary>A connection closed without DISCONNECT publishes the Will [MQTT-3.1.2-8] with its properties (5.0: content type, user properties).</summary>
    [Theory]
    [InlineData(V311)]
    [InlineData(V5)]
    public async Task MqttJs_Will_IsPublished_WhenConnectionDropsWithoutDisconnect_MQTT_3_1_2_8(int version)
    {
        await using var subscriber = await MqttJs.ConnectAsync(Broker, version, Id("js-sub"));
        await subscriber.SubscribeAsync("will/t", new { qos = 1 });
        object will = version == V5
            ? new { topic = "will/t", payload = "gone", qos = 1, retain = false, properties = new { contentType = "text/plain", userProperties = new Dictionary<string, string> { ["who"] = "js" } } }
            : new { topic = "will/t", payload = "gone", qos = 1, retain = false };
        await using var dying = await MqttJs.ConnectAsync(Broker, version, Id("js-will"), new { will });
        await dying.RequestOkAsync(new System.Text.Json.Nodes.JsonObject { ["op"] = "destroy" });

        var message = await subscriber.NextMessageAsync();
        Assert.Equal(("will/t", "gone", 1), (message.Topic, message.Text, message.QoS));
        if (version == V5)
        {
            Assert.Equal("text/plain", message.Property("contentType")?.GetString());
            Assert.Equal([KeyValuePair.Create("who", "js")], message.UserProperties);
        }
    }

    private static async Task<List<string>> DrainAsync(MqttJs client)
    {
        var texts = new List<string>();
        while (await client.NextMessageAsync(Short) is { } message)
        {
            texts.Add(message.Text);
        }

        return texts;
    }
}

using Starling.Broker.Storage;
using Starling.Mqtt;

namespace Starling.Storage.Tests;

/// <summary>Records that use every field, so a backend that drops or garbles one fails the contract.</summary>
internal static class StoreSamples
{
    public static readonly DateTimeOffset Later = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds());

    public static StoredMessage Message(string topic, string payload, MqttQualityOfService qos = MqttQualityOfService.AtLeastOnce, DateTimeOffset? expiresAt = null) =>
        new(
            topic,
            System.Text.Encoding.UTF8.GetBytes(payload),
            qos,
            Retain: false,
            new MqttProperties
            {
                PayloadFormatIndicator = 1,
                ContentType = "text/plain",
                ResponseTopic = "reply/" + topic,
                CorrelationData = new byte[] { 1, 2, 3 },
                UserProperties = [new MqttUserProperty("k", "v"), new MqttUserProperty("k", "v2")],
            },
            SenderClientId: "sender-é",
            expiresAt);

    public static StoredSession Session(string clientId, int pending = 2) =>
        new(
            clientId,
            Username: "user-" + clientId,
            ExpiryInterval: 3600,
            ExpiresAtUtc: Later,
            Will: Message("will/" + clientId, "gone") with { Retain = true },
            WillAtUtc: Later,
            Subscriptions:
            [
                new StoredSubscription("a/+/c", MqttQualityOfService.ExactlyOnce, NoLocal: true, RetainAsPublished: true, RetainHandling: 2, SubscriptionId: 7),
                new StoredSubscription("$share/g/x/#", MqttQualityOfService.AtMostOnce, NoLocal: false, RetainAsPublished: false, RetainHandling: 0, SubscriptionId: 0),
            ],
            Inflight:
            [
                new StoredInflight(11, new StoredDelivery(Message("a/b/c", "in flight"), MqttQualityOfService.AtLeastOnce, Retain: false, [7]), Released: false),
                new StoredInflight(12, new StoredDelivery(Message("a/b/c", "released", MqttQualityOfService.ExactlyOnce), MqttQualityOfService.ExactlyOnce, Retain: true, null), Released: true),
            ],
            Pending: [.. Enumerable.Range(0, pending).Select(i => new StoredDelivery(Message("x/" + i, "queued " + i), MqttQualityOfService.AtLeastOnce, Retain: false, [7, 9]))],
            IncomingQoS2: [3, 65535],
            LastPacketId: 12);
}

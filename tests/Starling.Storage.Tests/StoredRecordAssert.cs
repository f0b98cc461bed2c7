using Starling.Broker.Storage;

namespace Starling.Storage.Tests;

/// <summary>Compares records field by field (records with arrays and lists do not compare by value).</summary>
internal static class StoredRecordAssert
{
    public static void Equal(StoredSession expected, StoredSession actual)
    {
        Assert.Equal(expected.ClientId, actual.ClientId);
        Assert.Equal(expected.Username, actual.Username);
        Assert.Equal(expected.ExpiryInterval, actual.ExpiryInterval);
        Assert.Equal(expected.ExpiresAtUtc, actual.ExpiresAtUtc);
        Assert.Equal(expected.WillAtUtc, actual.WillAtUtc);
        Assert.Equal(expected.LastPacketId, actual.LastPacketId);
        Equal(expected.Will, actual.Will);
        Assert.Equal(expected.Subscriptions.OrderBy(s => s.Filter, StringComparer.Ordinal), actual.Subscriptions.OrderBy(s => s.Filter, StringComparer.Ordinal)); // a set: order is not kept
        Assert.Equal(expected.IncomingQoS2.Order(), actual.IncomingQoS2.Order());
        Assert.Equal(expected.Inflight.Count, actual.Inflight.Count);
        for (int i = 0; i < expected.Inflight.Count; i++)
        {
            Assert.Equal(expected.Inflight[i].PacketId, actual.Inflight[i].PacketId);
            Assert.Equal(expected.Inflight[i].Released, actual.Inflight[i].Released);
            Equal(expected.Inflight[i].Delivery, actual.Inflight[i].Delivery);
        }

        Assert.Equal(expected.Pending.Count, actual.Pending.Count);
        for (int i = 0; i < expected.Pending.Count; i++)
        {
            Equal(expected.Pending[i], actual.Pending[i]);
        }
    }

    public static void Equal(StoredDelivery expected, StoredDelivery actual)
    {
        Assert.Equal(expected.QoS, actual.QoS);
        Assert.Equal(expected.Retain, actual.Retain);
        Assert.Equal(expected.SubscriptionIds, actual.SubscriptionIds);
        Equal(expected.Message, actual.Message);
    }

    public static void Equal(StoredMessage? expected, StoredMessage? actual)
    {
        if (expected is null || actual is null)
        {
            Assert.Equal(expected is null, actual is null);
            return;
        }

        Assert.Equal(expected.Topic, actual.Topic);
        Assert.Equal(expected.Payload, actual.Payload);
        Assert.Equal(expected.QoS, actual.QoS);
        Assert.Equal(expected.Retain, actual.Retain);
        Assert.Equal(expected.SenderClientId, actual.SenderClientId);
        Assert.Equal(expected.ExpiresAtUtc, actual.ExpiresAtUtc);
        Assert.Equal(expected.Properties?.ContentType, actual.Properties?.ContentType);
        Assert.Equal(expected.Properties?.ResponseTopic, actual.Properties?.ResponseTopic);
        Assert.Equal(expected.Properties?.PayloadFormatIndicator, actual.Properties?.PayloadFormatIndicator);
        Assert.Equal(expected.Properties?.CorrelationData?.ToArray(), actual.Properties?.CorrelationData?.ToArray());
        Assert.Equal(expected.Properties?.UserProperties, actual.Properties?.UserProperties);
    }
}

using Starling.Broker.Routing;
using Starling.Broker.Storage;

namespace Starling.Broker.Sessions;

/// <summary>
/// The session as a <see cref="StoredSession"/> record and back: the one place that knows which fields of the live
/// session are its persistable state. Messages are copied out (payload bytes, wall-clock expiry), so a record holds no
/// reference into the engine.
/// </summary>
public sealed partial class Session
{
    /// <summary>The persistable state now. Called under <see cref="Gate"/>.</summary>
    internal StoredSession ToStoredLocked()
    {
        var clock = StoreClock.Now();
        var inflight = _inflight is null ? [] : _inflight.Select(m => new StoredInflight(m.PacketId, ToStored(m.Message, m.Sequence, clock), m.Released)).ToArray();
        var pending = _pending is null ? [] : _pending.Select(m => ToStored(m.Delivery, m.Sequence, clock)).ToArray();
        ushort[] incoming = _incomingQoS2 is null ? [] : [.. _incomingQoS2];
        return ToStoredLocked(clock, inflight, pending, incoming);
    }

    /// <summary>The session's own fields and subscriptions, without its deliveries: what a change of those writes.</summary>
    internal StoredSession ToStoredHeaderLocked() => ToStoredLocked(StoreClock.Now(), [], [], []);

    private StoredSession ToStoredLocked(StoreClock clock, StoredInflight[] inflight, StoredDelivery[] pending, ushort[] incoming)
    {
        var subscriptions = SubscriptionsLocked();
        var stored = new StoredSubscription[subscriptions.Length];
        for (int i = 0; i < subscriptions.Length; i++)
        {
            var s = subscriptions[i];
            stored[i] = new StoredSubscription(s.Filter, s.QoS, s.NoLocal, s.RetainAsPublished, s.RetainHandling, s.SubscriptionId);
        }

        return new StoredSession(
            ClientId,
            Username,
            ExpiryInterval,
            clock.ToUtc(ExpiresAt),
            PendingWill is { } will ? StoredMessageConversion.ToStored(will, clock) : null,
            PendingWill is null ? null : clock.ToUtc(PendingWillAt),
            stored,
            inflight,
            pending,
            incoming,
            _lastPacketId);
    }

    /// <summary>Takes up a stored record in a fresh, disconnected session; the caller adds the subscriptions to the tree.</summary>
    internal Subscription[] RestoreLocked(StoredSession record)
    {
        var clock = StoreClock.Now();
        Username = record.Username;
        ExpiryInterval = record.ExpiryInterval;
        // A session saved while connected has no expiry time yet: it is counted from now, as if its connection had
        // dropped when the broker stopped.
        ExpiresAt = record.ExpiresAtUtc is null && record.ExpiryInterval != uint.MaxValue
            ? clock.Ticks + (record.ExpiryInterval * 1000L)
            : clock.ToTicks(record.ExpiresAtUtc);
        if (record.Will is { } will && record.WillAtUtc is { } willAt && StoredMessageConversion.ToLive(will, clock, keepExpired: false) is { } liveWill)
        {
            PendingWill = liveWill;
            PendingWillAt = clock.ToTicks(willAt);
        }

        _lastPacketId = record.LastPacketId;
        long sequence = -1;
        List<(Mqtt.MqttQualityOfService QoS, long Sequence)>? expired = null;
        if (record.IncomingQoS2.Count > 0)
        {
            _incomingQoS2 = [.. record.IncomingQoS2];
        }

        foreach (var inflight in record.Inflight)
        {
            // In flight when saved: resent on resume even if expired since, as a live session does [MQTT-4.4.0-1].
            var message = StoredMessageConversion.ToLive(inflight.Delivery.Message, clock, keepExpired: true)!;
            (_inflight ??= []).Add(new InflightMessage(inflight.PacketId, ToOutgoing(message, inflight.Delivery), StoredSequence(inflight.Delivery, ref sequence)) { Released = inflight.Released });
        }

        foreach (var delivery in record.Pending)
        {
            long number = StoredSequence(delivery, ref sequence);
            if (StoredMessageConversion.ToLive(delivery.Message, clock, keepExpired: false) is { } message)
            {
                (_pending ??= new Queue<QueuedMessage>()).Enqueue(new QueuedMessage(ToOutgoing(message, delivery), number));
                message.MarkHeld();
                _pendingBytes += message.Payload.Length;
            }
            else
            {
                (expired ??= []).Add((delivery.QoS, number)); // expired while the broker was down [MQTT-3.3.2-5]
            }
        }

        RestoredFromStoreLocked(sequence);
        foreach (var (qos, number) in expired ?? [])
        {
            JournalDeliveryLocked(JournalEntryKind.DeliveryRemoved, qos, number);
        }

        var subscriptions = new Subscription[record.Subscriptions.Count];
        for (int i = 0; i < subscriptions.Length; i++)
        {
            var s = record.Subscriptions[i];
            subscriptions[i] = Subscription.Create(this, s.Filter, s.QoS, s.NoLocal, s.RetainAsPublished, s.RetainHandling, s.SubscriptionId);
            SetSubscriptionLocked(subscriptions[i]);
        }

        return subscriptions;
    }

    private static OutgoingMessage ToOutgoing(ApplicationMessage message, StoredDelivery delivery) =>
        new(message, delivery.QoS, delivery.Retain, delivery.SubscriptionIds);

    private static StoredDelivery ToStored(in OutgoingMessage message, long sequence, StoreClock clock) =>
        new(StoredMessageConversion.ToStored(message.Message, clock), message.QoS, message.Retain, message.SubscriptionIds, sequence);

    /// <summary>The stored delivery's number (<see cref="DeliveryNumbers"/>); <paramref name="last"/> moves on to it.</summary>
    private static long StoredSequence(StoredDelivery delivery, ref long last) => last = DeliveryNumbers.Next(last, delivery.Sequence);
}

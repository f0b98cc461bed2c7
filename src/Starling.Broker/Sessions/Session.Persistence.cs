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
        var subscriptions = SubscriptionsLocked();
        var stored = new StoredSubscription[subscriptions.Length];
        for (int i = 0; i < subscriptions.Length; i++)
        {
            var s = subscriptions[i];
            stored[i] = new StoredSubscription(s.Filter, s.QoS, s.NoLocal, s.RetainAsPublished, s.RetainHandling, s.SubscriptionId);
        }

        var inflight = _inflight is null ? [] : _inflight.Select(m => new StoredInflight(m.PacketId, ToStored(m.Message, clock), m.Released)).ToArray();
        var pending = _pending is null ? [] : _pending.Select(m => ToStored(m, clock)).ToArray();
        ushort[] incoming = _incomingQoS2 is null ? [] : [.. _incomingQoS2];
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
        ExpiresAt = clock.ToTicks(record.ExpiresAtUtc);
        if (record.Will is { } will && record.WillAtUtc is { } willAt && StoredMessageConversion.ToLive(will, clock, keepExpired: false) is { } liveWill)
        {
            PendingWill = liveWill;
            PendingWillAt = clock.ToTicks(willAt);
        }

        _lastPacketId = record.LastPacketId;
        if (record.IncomingQoS2.Count > 0)
        {
            _incomingQoS2 = [.. record.IncomingQoS2];
        }

        foreach (var inflight in record.Inflight)
        {
            // In flight when saved: resent on resume even if expired since, as a live session does [MQTT-4.4.0-1].
            var message = StoredMessageConversion.ToLive(inflight.Delivery.Message, clock, keepExpired: true)!;
            (_inflight ??= []).Add(new InflightMessage(inflight.PacketId, ToOutgoing(message, inflight.Delivery)) { Released = inflight.Released });
        }

        foreach (var delivery in record.Pending)
        {
            if (StoredMessageConversion.ToLive(delivery.Message, clock, keepExpired: false) is { } message)
            {
                var outgoing = ToOutgoing(message, delivery);
                (_pending ??= new Queue<OutgoingMessage>()).Enqueue(outgoing);
                message.MarkHeld();
                _pendingBytes += message.Payload.Length;
            }
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

    private static StoredDelivery ToStored(in OutgoingMessage message, StoreClock clock) =>
        new(StoredMessageConversion.ToStored(message.Message, clock), message.QoS, message.Retain, message.SubscriptionIds);
}

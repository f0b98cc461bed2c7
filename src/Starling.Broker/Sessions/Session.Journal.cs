using Starling.Broker.Routing;
using Starling.Broker.Storage;
using Starling.Mqtt;

namespace Starling.Broker.Sessions;

/// <summary>
/// What a persistent session tells the broker's journal (<see cref="ISessionJournal"/>) as it changes, so a durable
/// backend holds the same state and a crash loses nothing acknowledged. Only sessions that outlive their connection
/// are journaled, and of their deliveries only QoS 1 and 2: a clean session and QoS 0 cost nothing extra. Every
/// method is called under <see cref="Gate"/>, so the session's entries are in the order its state changed; each
/// returns the entry's position (0 when nothing was appended) for an acknowledgement to wait on.
/// </summary>
public sealed partial class Session
{
    /// <summary>The number the next delivery gets: increasing, so numbers keep the queue's order.</summary>
    private long _nextSequence;

    /// <summary>Whether the journal holds this session's rows: from the entry that created them to the one that deleted them.</summary>
    private bool _journaled;

    private JournalWriter? JournalLocked => _journaled ? Broker.Journal : null;

    /// <summary>
    /// The session was taken up: a persistent one is journaled from now on (created whole when new, its own fields
    /// updated when resumed); one that now ends with its connection leaves the store.
    /// </summary>
    internal long JournalAttachedLocked()
    {
        Broker.RemoteSessions?.SessionChanged(ClientId);
        if (Broker.Journal is not { } journal)
        {
            return 0;
        }

        if (EndsWithConnection)
        {
            return JournalDeletedLocked();
        }

        if (_journaled)
        {
            return JournalHeaderLocked();
        }

        _journaled = true;
        return journal.Append(new JournalEntry(JournalEntryKind.SessionReplaced, ClientId, Record: ToStoredLocked()));
    }

    /// <summary>The session's own fields or subscriptions changed (expiry, will, a SUBSCRIBE).</summary>
    internal long JournalHeaderLocked()
    {
        Broker.RemoteSessions?.SessionChanged(ClientId);
        return JournalLocked?.Append(new JournalEntry(JournalEntryKind.SessionUpdated, ClientId, Record: ToStoredHeaderLocked())) ?? 0;
    }

    /// <summary>The session ended: its rows go.</summary>
    internal long JournalDeletedLocked()
    {
        Broker.RemoteSessions?.SessionChanged(ClientId);
        if (JournalLocked is not { } journal)
        {
            return 0;
        }

        _journaled = false;
        return journal.Append(new JournalEntry(JournalEntryKind.SessionDeleted, ClientId));
    }

    /// <summary>Restored from the store: its rows are there already, and new deliveries are numbered after the stored ones.</summary>
    private void RestoredFromStoreLocked(long lastSequence)
    {
        _journaled = Broker.Journal is not null;
        _nextSequence = lastSequence + 1;
    }

    /// <summary>Handed over by another broker: not in this broker's journal yet, so attaching writes it whole.</summary>
    internal void ImportedLocked() => _journaled = false;

    private long NextSequence() => _nextSequence++;

    /// <summary>A QoS 1/2 delivery joined the queue (<paramref name="packetId"/> 0) or went straight in flight.</summary>
    private void JournalAddedLocked(in OutgoingMessage delivery, long sequence, ushort packetId)
    {
        if (delivery.QoS != MqttQualityOfService.AtMostOnce && JournalLocked is { } journal)
        {
            journal.Append(new JournalEntry(JournalEntryKind.DeliveryAdded, ClientId, sequence, packetId, Delivery: delivery));
        }
    }

    /// <summary>A change to one QoS 1/2 delivery: sent, released or removed.</summary>
    private void JournalDeliveryLocked(JournalEntryKind kind, MqttQualityOfService qos, long sequence, ushort packetId = 0)
    {
        if (qos != MqttQualityOfService.AtMostOnce && JournalLocked is { } journal)
        {
            journal.Append(new JournalEntry(kind, ClientId, sequence, packetId));
        }
    }

    /// <summary>An incoming QoS 2 id was recorded or released.</summary>
    private long JournalIncomingLocked(JournalEntryKind kind, ushort packetId) =>
        JournalLocked?.Append(new JournalEntry(kind, ClientId, PacketId: packetId)) ?? 0;
}

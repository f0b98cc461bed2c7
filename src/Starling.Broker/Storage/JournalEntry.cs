using Starling.Broker.Routing;

namespace Starling.Broker.Storage;

/// <summary>What one <see cref="JournalEntry"/> changes.</summary>
public enum JournalEntryKind
{
    /// <summary>
    /// The whole session is <see cref="JournalEntry.Record"/>: its rows are replaced (a client took it up). Its
    /// deliveries are numbered from 0 in the record's order, in flight first, then queued; later entries use those numbers.
    /// </summary>
    SessionReplaced,

    /// <summary>The session's own fields and subscriptions are those of <see cref="JournalEntry.Record"/>; its deliveries stay.</summary>
    SessionUpdated,

    /// <summary>The session ended: every row of the client goes.</summary>
    SessionDeleted,

    /// <summary>A delivery (<see cref="JournalEntry.Delivery"/>) joined the session's queue, or went straight in flight with <see cref="JournalEntry.PacketId"/>.</summary>
    DeliveryAdded,

    /// <summary>A queued delivery was sent with <see cref="JournalEntry.PacketId"/>: it is in flight now.</summary>
    DeliverySent,

    /// <summary>QoS 2: PUBREC came and PUBREL was sent for the delivery.</summary>
    DeliveryReleased,

    /// <summary>The delivery is done (acknowledged) or dropped (expired, too large, revoked, handed to another member).</summary>
    DeliveryRemoved,

    /// <summary>A QoS 2 PUBLISH with <see cref="JournalEntry.PacketId"/> came from the client; its PUBREL is awaited.</summary>
    IncomingAdded,

    /// <summary>The client's PUBREL for <see cref="JournalEntry.PacketId"/> came.</summary>
    IncomingReleased,

    /// <summary>A retained message was set (<see cref="JournalEntry.Retained"/>).</summary>
    RetainedSet,

    /// <summary>The retained message of <see cref="JournalEntry.ClientId"/> (here: the topic) was deleted.</summary>
    RetainedRemoved,
}

/// <summary>
/// One change to the persistable state, in the order the engine made it: what a durable backend writes so that a
/// crash loses nothing that was acknowledged. Deliveries are named by the session's client id and a sequence number
/// the session gives each one (increasing, so their order is the queue's order).
/// </summary>
/// <param name="Kind">What changes.</param>
/// <param name="ClientId">The session's client id (for retained entries: the topic).</param>
/// <param name="Sequence">The delivery's sequence number, for delivery entries.</param>
/// <param name="PacketId">The packet id, for entries that carry one (0 when none).</param>
/// <param name="Record">The record, for session entries (for <see cref="JournalEntryKind.SessionUpdated"/>, its deliveries are ignored).</param>
/// <param name="Delivery">The delivery, for <see cref="JournalEntryKind.DeliveryAdded"/>: the live message, which the backend
/// encodes when it commits (once per message, however many sessions it went to), not on the publisher's thread.</param>
/// <param name="Retained">The message, for <see cref="JournalEntryKind.RetainedSet"/>.</param>
public sealed record JournalEntry(
    JournalEntryKind Kind,
    string ClientId,
    long Sequence = 0,
    ushort PacketId = 0,
    StoredSession? Record = null,
    OutgoingMessage? Delivery = null,
    ApplicationMessage? Retained = null);

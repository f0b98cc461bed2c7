using Starling.Broker.Routing;

namespace Starling.Broker.Sessions;

/// <summary>A QoS 1 or 2 message sent to the client and not yet fully acknowledged.</summary>
internal sealed class InflightMessage
{
    public InflightMessage(ushort packetId, OutgoingMessage message, long sequence)
    {
        PacketId = packetId;
        Message = message;
        Sequence = sequence;
        message.Message.MarkHeld(); // kept until acknowledged, and resent from here
    }

    public ushort PacketId { get; }

    public OutgoingMessage Message { get; }

    /// <summary>The session's number for the delivery (see <see cref="Storage.JournalEntry"/>).</summary>
    public long Sequence { get; }

    /// <summary>QoS 2: PUBREC received and PUBREL sent; waiting for PUBCOMP.</summary>
    public bool Released { get; set; }
}

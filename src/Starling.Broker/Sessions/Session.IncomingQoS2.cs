using Starling.Broker.Storage;

namespace Starling.Broker.Sessions;

/// <summary>
/// QoS 2 packet ids received from the client and not yet released by its PUBREL [MQTT-4.3.3-12]: held so that a
/// resent PUBLISH is acknowledged again but not delivered again.
/// </summary>
public sealed partial class Session
{
    /// <summary>Records an incoming QoS 2 packet id; false when it is already held (a resend before PUBREL) [MQTT-4.3.3-2].</summary>
    internal bool TryBeginIncomingQoS2(ushort packetId)
    {
        lock (Gate)
        {
            if (!(_incomingQoS2 ??= []).Add(packetId))
            {
                return false;
            }

            JournalIncomingLocked(JournalEntryKind.IncomingAdded, packetId);
            return true;
        }
    }

    /// <summary>Incoming QoS 2 messages awaiting PUBREL: what counts against our Receive Maximum.</summary>
    internal int IncomingQoS2Count
    {
        get
        {
            lock (Gate)
            {
                return _incomingQoS2?.Count ?? 0;
            }
        }
    }

    internal bool HoldsIncomingQoS2(ushort packetId)
    {
        lock (Gate)
        {
            return _incomingQoS2 is not null && _incomingQoS2.Contains(packetId);
        }
    }

    /// <summary>PUBREL from the client: forget the packet id. False when it was not held.</summary>
    internal bool ReleaseIncomingQoS2(ushort packetId)
    {
        lock (Gate)
        {
            if (_incomingQoS2 is null || !_incomingQoS2.Remove(packetId))
            {
                return false;
            }

            JournalIncomingLocked(JournalEntryKind.IncomingReleased, packetId);
            return true;
        }
    }
}

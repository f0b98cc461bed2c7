using Starling.Broker.Routing;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Broker.Sessions;

/// <summary>
/// The network connection a session is attached to, as the session sees it: where its deliveries go. The connection
/// implements it, so data flows one way (route, then the session's queue, then the connection's output) and
/// Sessions/ never depends on Connections/. What a PUBLISH carries for this client (size check, topic alias,
/// 5.0 overrides) is decided in one place, the connection's output, and handed back to it unchanged.
/// </summary>
/// <remarks>Every member is called with the session's <see cref="Session.Gate"/> held.</remarks>
internal interface ISessionConnection
{
    /// <summary>How many QoS 1 and 2 messages may be in flight to this client.</summary>
    int SendWindow { get; }

    /// <summary>Whether the bytes waiting to go out reach the configured limit; a slow reader stops getting more.</summary>
    bool IsSendBufferFull { get; }

    /// <summary>
    /// Whether the PUBLISH fits the client's 5.0 Maximum Packet Size [MQTT-3.1.2-25], with the delivery's overrides for
    /// <see cref="TryWritePublish"/>, which is always called right after.
    /// </summary>
    bool FitsClient(in OutgoingMessage message, out MqttPublishOverrides overrides);

    /// <summary>
    /// Encodes a PUBLISH for this client with the <paramref name="overrides"/> <see cref="FitsClient"/> gave. QoS 0 is
    /// refused (false) when the send buffer is full; QoS 1 and 2 are held to the window by the session, so always written.
    /// </summary>
    bool TryWritePublish(in OutgoingMessage message, MqttPublishOverrides overrides, ushort packetId, bool dup);

    /// <summary>Writes a PUBREL: a resumed session's QoS 2 flow already past PUBREC [MQTT-4.4.0-1].</summary>
    void WritePubRel(ushort packetId, MqttReasonCode reasonCode);

    /// <summary>
    /// The session is now this connection's: CONNACK goes out first, then the messages the session kept
    /// (<see cref="Session.ResumeLocked"/>), so no delivery overtakes the CONNACK.
    /// </summary>
    void OnAttachedLocked(Session session, bool sessionPresent, ConnAckPacket connack);

    /// <summary>Another connection took the session [MQTT-3.1.4-2]: the client is told (5.0, 0x8E) and closed.</summary>
    void TakeOver();

    /// <summary>The will this connection's loss would publish now, and its Will Delay Interval; null when there is none or a DISCONNECT discarded it.</summary>
    ApplicationMessage? PendingWill(out uint delay);
}

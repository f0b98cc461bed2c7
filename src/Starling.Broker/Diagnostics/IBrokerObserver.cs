using Starling.Broker.Routing;
using Starling.Mqtt;

namespace Starling.Broker.Diagnostics;

/// <summary>
/// Sees traffic as it passes, for a monitor's topic tree and packet trace (<see cref="MqttBroker.Observer"/>). The
/// broker checks for an observer once per message or packet, so none costs nothing; one is called synchronously on
/// the thread that routes or writes, so it must be quick, never block, and copy what it keeps (a message's payload
/// buffer is reused after the call).
/// </summary>
public interface IBrokerObserver
{
    /// <summary>A message is routed: a client's PUBLISH (<see cref="ApplicationMessage.SenderClientId"/>), a will, or the host's.</summary>
    void OnPublish(ApplicationMessage message);

    /// <summary>A copy of a message is written to <paramref name="clientId"/> as a PUBLISH.</summary>
    void OnDeliver(string clientId, in OutgoingMessage message, ushort packetId);

    /// <summary>Any other packet of a connected client, read (<paramref name="incoming"/>) or written.</summary>
    void OnPacket(string clientId, bool incoming, MqttPacketType type, int size);
}

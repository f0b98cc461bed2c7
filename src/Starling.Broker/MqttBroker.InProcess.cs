using Starling.Broker.Transport;

namespace Starling.Broker;

/// <summary>Connections from inside the process, for parts that must be an ordinary client of this broker (a bridge's local side).</summary>
public sealed partial class MqttBroker
{
    /// <summary>
    /// Opens a connection with no socket and returns the client's end of it: an MQTT client (Starling.Mqtt.Client through
    /// its StreamFactory) speaks over it as over TCP, and is a client like any other: CONNECT, hooks, sessions that
    /// persist, queue within <see cref="BrokerOptions.MaximumQueuedMessages"/> and are stored by the durable store, No
    /// Local. Not counted against the connection limits a network listener meets. Disposing the stream closes it.
    /// </summary>
    public Stream ConnectInProcess(string listenerName = "in-process")
    {
        var transport = new InProcessTransport(listenerName);
        var connection = Connect(transport);
        _ = transport.RunAsync(connection);
        return transport.ClientStream;
    }
}

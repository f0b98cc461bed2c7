using System.Net;
using System.Text;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Broker.Hooks;

/// <summary>A new TCP or TLS connection, before any MQTT byte is read.</summary>
/// <param name="RemoteEndPoint">The peer's address.</param>
/// <param name="LocalEndPoint">The local address it connected to.</param>
/// <param name="ListenerName">The listener's name.</param>
public sealed record AcceptContext(EndPoint? RemoteEndPoint, EndPoint? LocalEndPoint, string ListenerName);

/// <summary>A CONNECT to authenticate.</summary>
public sealed class ConnectContext
{
    internal ConnectContext(MqttClientInfo client, ConnectPacket packet)
    {
        Client = client;
        Packet = packet;
    }

    /// <summary>The client; a hook may change <see cref="MqttClientInfo.Username"/>.</summary>
    public MqttClientInfo Client { get; }

    /// <summary>The CONNECT as received.</summary>
    public ConnectPacket Packet { get; }

    /// <summary>The user name from CONNECT.</summary>
    public string? Username => Packet.Username;

    /// <summary>The password from CONNECT, decoded as UTF-8, or null.</summary>
    public string? Password => Packet.Password is { } p ? Encoding.UTF8.GetString(p.Span) : null;

    /// <summary>5.0 properties to add to CONNACK (a reason string, user properties).</summary>
    public MqttProperties? ResponseProperties { get; set; }
}

/// <summary>One topic filter of a SUBSCRIBE to authorize.</summary>
public sealed class SubscribeContext
{
    internal SubscribeContext(MqttClientInfo client, MqttSubscription subscription, MqttReasonCode granted)
    {
        Client = client;
        Subscription = subscription;
        Result = granted;
    }

    /// <summary>The client.</summary>
    public MqttClientInfo Client { get; }

    /// <summary>The requested filter and options.</summary>
    public MqttSubscription Subscription { get; }

    /// <summary>The topic filter requested (with any $share prefix).</summary>
    public string TopicFilter => Subscription.TopicFilter;

    /// <summary>
    /// The decision so far: the QoS the broker would grant (0x00 to 0x02). Earlier hooks in the chain may have
    /// lowered it or set a failure code.
    /// </summary>
    public MqttReasonCode Result { get; internal set; }
}

/// <summary>A PUBLISH from a client, before it is routed or retained.</summary>
public sealed class PublishContext
{
    internal PublishContext(MqttClientInfo client, ApplicationMessageView message)
    {
        Client = client;
        Message = message;
    }

    /// <summary>The publishing client.</summary>
    public MqttClientInfo Client { get; }

    /// <summary>The message.</summary>
    public ApplicationMessageView Message { get; }

    /// <summary>The topic name.</summary>
    public string Topic => Message.Topic;

    /// <summary>Set true to close the client's connection after this packet (no acknowledgement is sent).</summary>
    public bool CloseClient { get; set; }

    /// <summary>5.0: the reason code sent in PUBACK/PUBREC when the message is refused. Default 0x87 Not authorized.</summary>
    public MqttReasonCode RefusalReasonCode { get; set; } = MqttReasonCode.NotAuthorized;

    /// <summary>5.0: a reason string for the refusal, sent when the client allows problem information.</summary>
    public string? ReasonString { get; set; }
}

/// <summary>The message a <see cref="PublishContext"/> describes.</summary>
/// <param name="Topic">Topic name.</param>
/// <param name="Payload">Payload bytes (valid during the hook call).</param>
/// <param name="QoS">QoS it was published with.</param>
/// <param name="Retain">RETAIN flag.</param>
/// <param name="Properties">5.0 properties, or null.</param>
public sealed record ApplicationMessageView(string Topic, ReadOnlyMemory<byte> Payload, MqttQualityOfService QoS, bool Retain, MqttProperties? Properties);

/// <summary>Why a client's connection closed.</summary>
public enum CloseReason
{
    /// <summary>The client sent DISCONNECT.</summary>
    ClientDisconnected,

    /// <summary>The network connection dropped or the peer closed it without DISCONNECT.</summary>
    ConnectionLost,

    /// <summary>The client broke a protocol rule.</summary>
    ProtocolError,

    /// <summary>No packet within 1.5 keep-alive intervals, or no CONNECT in time.</summary>
    Timeout,

    /// <summary>Another connection took the session over.</summary>
    TakenOver,

    /// <summary>A hook or the authentication refused it.</summary>
    Refused,

    /// <summary>The broker is stopping.</summary>
    ServerShutdown,

    /// <summary>An administrator disconnected it (the admin API's kick).</summary>
    AdministrativeAction,
}

/// <summary>A connection that has closed.</summary>
/// <param name="Client">The client, or null when the connection closed before a valid CONNECT was read. A CONNECT refused by an OnConnect hook still carries its client, with <see cref="CloseReason.Refused"/>.</param>
/// <param name="Reason">Why it closed.</param>
/// <param name="RemoteEndPoint">The peer's address.</param>
public sealed record CloseContext(MqttClientInfo? Client, CloseReason Reason, EndPoint? RemoteEndPoint);

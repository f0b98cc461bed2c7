using System.Net;
using Starling.Broker.Transport;
using Starling.Mqtt;

namespace Starling.Broker.Hooks;

/// <summary>What the broker knows of a connected client; handed to every hook after OnAccept.</summary>
public sealed class MqttClientInfo
{
    private readonly IConnectionTransport _transport;

    internal MqttClientInfo(string clientId, string? username, MqttProtocolVersion protocolVersion, IConnectionTransport transport)
    {
        ClientId = clientId;
        Username = username;
        ProtocolVersion = protocolVersion;
        _transport = transport;
    }

    /// <summary>The client identifier (the assigned one when the client sent none).</summary>
    public string ClientId { get; internal set; }

    /// <summary>The user name from CONNECT, or what a hook or listener (TLS client certificate) set.</summary>
    public string? Username { get; set; }

    /// <summary>The protocol version the client speaks.</summary>
    public MqttProtocolVersion ProtocolVersion { get; }

    /// <summary>The peer's address.</summary>
    /// <remarks>Asked of the transport each time: a transport may build it on demand rather than keep it per connection.</remarks>
    public EndPoint? RemoteEndPoint => _transport.RemoteEndPoint;

    /// <summary>The name of the listener the client came in on.</summary>
    public string ListenerName => _transport.ListenerName;

    /// <summary>Free slots for hooks to keep per-client state (an ACL's decisions, a rate limiter).</summary>
    public IDictionary<string, object?> Items => _items ??= new Dictionary<string, object?>(StringComparer.Ordinal);

    private Dictionary<string, object?>? _items;
}

using System.Net;
using Starling.Mqtt;

namespace Starling.Broker.Diagnostics;

/// <summary>A connected client as the admin API lists it.</summary>
public sealed record ClientSnapshot(
    string ClientId,
    string? Username,
    MqttProtocolVersion ProtocolVersion,
    EndPoint? RemoteEndPoint,
    string ListenerName,
    int KeepAliveSeconds,
    DateTimeOffset ConnectedAt,
    int Inflight,
    int Queued,
    int Subscriptions);

/// <summary>A session, online or offline, as the admin API lists it.</summary>
public sealed record SessionSnapshot(string ClientId, bool Online, uint ExpiryIntervalSeconds, int Inflight, int Queued, int Subscriptions);

namespace Starling.Broker.Storage;

/// <summary>
/// The persistable state of one session [MQTT-4.1.0-1]: everything a resumed client continues with, as plain data.
/// </summary>
/// <param name="ClientId">The client identifier.</param>
/// <param name="Username">The user name that last took the session up, for access rules applied later.</param>
/// <param name="ExpiryInterval">Seconds the session outlives its connection; <see cref="uint.MaxValue"/> never expires.</param>
/// <param name="ExpiresAtUtc">When the disconnected session expires, or null for never.</param>
/// <param name="Will">5.0: a will waiting out its Will Delay Interval, or null.</param>
/// <param name="WillAtUtc">When <paramref name="Will"/> is due.</param>
/// <param name="Subscriptions">The subscriptions.</param>
/// <param name="Inflight">QoS 1 and 2 messages sent and not yet acknowledged, oldest first.</param>
/// <param name="Pending">Messages queued and not yet sent, oldest first.</param>
/// <param name="IncomingQoS2">QoS 2 packet ids received from the client and not yet released [MQTT-4.3.3-12].</param>
/// <param name="LastPacketId">The last packet id used, so new ids continue after it.</param>
public sealed record StoredSession(
    string ClientId,
    string? Username,
    uint ExpiryInterval,
    DateTimeOffset? ExpiresAtUtc,
    StoredMessage? Will,
    DateTimeOffset? WillAtUtc,
    IReadOnlyList<StoredSubscription> Subscriptions,
    IReadOnlyList<StoredInflight> Inflight,
    IReadOnlyList<StoredDelivery> Pending,
    IReadOnlyList<ushort> IncomingQoS2,
    ushort LastPacketId);

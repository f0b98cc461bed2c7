using Starling.Broker.Storage;

namespace Starling.Broker.Sessions;

/// <summary>
/// What another broker of a cluster needs to take a session up if this broker dies (<see cref="MqttBroker.ClusterState"/>):
/// the session's own fields and subscriptions (its deliveries stay here: without a durable cluster store they die with
/// the broker) and, while its client is connected, the will that the connection's loss would publish.
/// </summary>
/// <param name="Session">The session without its deliveries (<see cref="StoredSession.Inflight"/> and <see cref="StoredSession.Pending"/> empty).</param>
/// <param name="Connected">Whether its client is connected here now.</param>
/// <param name="ConnectionWill">The connected client's will, or null (none, or a DISCONNECT discarded it).</param>
/// <param name="WillDelaySeconds">The will's Will Delay Interval (5.0), counted from the connection's loss.</param>
public sealed record ClusterSessionState(StoredSession Session, bool Connected, StoredMessage? ConnectionWill, uint WillDelaySeconds);

namespace Starling.Broker.Sessions;

/// <summary>
/// The other brokers of a cluster, as the sessions see them (<see cref="MqttBroker.AttachClusterSessions"/>): before a
/// client's session is taken up here, the cluster makes this broker its owner and, when another broker held it, has
/// that broker close its connection (5.0: DISCONNECT 0x8E) and hand the session over, which the cluster then imports
/// with <see cref="MqttBroker.ImportSession"/>. The CONNACK waits for this, so Session Present tells the truth.
/// </summary>
public interface IRemoteSessions
{
    /// <summary>Makes this broker the owner of <paramref name="clientId"/>'s session, bringing its state here unless <paramref name="cleanStart"/>.</summary>
    ValueTask ClaimAsync(string clientId, bool cleanStart, CancellationToken cancellationToken);
}

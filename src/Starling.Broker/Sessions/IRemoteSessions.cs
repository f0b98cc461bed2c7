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

    /// <summary>
    /// Something about <paramref name="clientId"/>'s session changed here (taken up, subscriptions, disconnected, ended):
    /// the cluster reads <see cref="MqttBroker.ClusterState"/> soon after, so another broker can take the session up,
    /// and publish its client's will, if this one dies. Called under the session's lock: it must not block.
    /// </summary>
    void SessionChanged(string clientId)
    {
    }

    /// <summary>
    /// The broker took up these sessions from its store as it started. Some may belong to another broker now (taken
    /// up there while this one was down): the cluster ends those copies (<see cref="MqttBroker.FenceSession"/>).
    /// </summary>
    void Restored(IReadOnlyList<string> clientIds)
    {
    }
}

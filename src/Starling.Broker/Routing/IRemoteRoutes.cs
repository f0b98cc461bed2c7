namespace Starling.Broker.Routing;

/// <summary>
/// The other brokers of a cluster, as the router sees them (<see cref="MqttBroker.AttachCluster"/>): told which topic
/// filters this broker's sessions hold (once per filter, however many sessions share it), and handed every message
/// published here, to send on to the brokers that want it. Called under locks and on the hot path: it must queue, not
/// wait, and copy what it keeps (a message's payload buffer is reused after the call).
/// </summary>
public interface IRemoteRoutes
{
    /// <summary>The first non-shared subscription to <paramref name="topicFilter"/> on this broker.</summary>
    void FilterAdded(string topicFilter);

    /// <summary>The last subscription to <paramref name="topicFilter"/> on this broker went.</summary>
    void FilterRemoved(string topicFilter);

    /// <summary>
    /// The first member on this broker of the shared subscription <paramref name="shareName"/> at
    /// <paramref name="topicFilter"/>. In a cluster the groups' messages do not go to local members directly: the
    /// cluster chooses one broker holding members of the group for each message (cluster-wide exactly one member,
    /// 5.0 section 4.8.2), which then delivers it with <c>MqttBroker.PublishToSharedGroupFromCluster</c>.
    /// </summary>
    void SharedGroupAdded(string shareName, string topicFilter);

    /// <summary>The last member on this broker of the shared subscription <paramref name="shareName"/> at <paramref name="topicFilter"/> went.</summary>
    void SharedGroupRemoved(string shareName, string topicFilter);

    /// <summary>A message published on this broker (a client's, a will, the host's): for the other brokers.</summary>
    void Forward(ApplicationMessage message);

    /// <summary>
    /// Completes once the other brokers route messages for each of <paramref name="topicFilters"/> here (or a bound
    /// elapsed), so a SUBACK means that what is published anywhere after it arrives [MQTT-3.8.4-1].
    /// </summary>
    ValueTask WhenRoutingAsync(IReadOnlyList<string> topicFilters, CancellationToken cancellationToken);
}

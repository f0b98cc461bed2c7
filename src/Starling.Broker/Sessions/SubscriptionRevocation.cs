namespace Starling.Broker.Sessions;

/// <summary>
/// Access rules applied after the fact (an ACL file reloaded): which subscriptions and queued messages a session
/// keeps. The broker holds the latest one, so a SUBSCRIBE authorized under earlier rules is checked again against it.
/// </summary>
internal sealed class SubscriptionRevocation(Func<SubscriptionGrant, bool> keep)
{
    /// <summary>Whether <paramref name="session"/> may keep a filter, or receive a message on a topic.</summary>
    public bool Keeps(Session session, string filterOrTopic) => keep(new SubscriptionGrant(session.ClientId, session.Username, filterOrTopic));
}

namespace Starling.Broker.Sessions;

/// <summary>One subscription a session holds, as an access rule sees it.</summary>
/// <param name="ClientId">The session's client identifier.</param>
/// <param name="Username">The user name of the connection that last took the session up, or null.</param>
/// <param name="TopicFilter">The filter as the client subscribed it (with any <c>$share/group/</c> prefix).</param>
public readonly record struct SubscriptionGrant(string ClientId, string? Username, string TopicFilter);

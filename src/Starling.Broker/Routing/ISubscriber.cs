namespace Starling.Broker.Routing;

/// <summary>
/// The receiving end of a route, as the router sees it: a session, known to routing only through this, so that
/// data flows one way (route, then the session's queue, then the connection's output) and Routing/ never
/// depends on Sessions/.
/// </summary>
internal interface ISubscriber
{
    /// <summary>The client identifier.</summary>
    string ClientId { get; }

    /// <summary>Whether a network connection currently uses the session.</summary>
    bool IsConnected { get; }

    /// <summary>Takes a matched message: the session writes it now or queues it, under its own limits.</summary>
    void Deliver(in OutgoingMessage message);
}

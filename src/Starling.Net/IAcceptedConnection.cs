using Starling.Broker.Transport;

namespace Starling.Net;

/// <summary>An accepted connection of a <see cref="SocketListenerEndpoint"/>, ready to be handed to the engine.</summary>
internal interface IAcceptedConnection : IConnectionTransport
{
    /// <summary>
    /// Hands the rest of the connection's life to the transport: it reads for <paramref name="engine"/> until the
    /// connection ends, tells the engine, then runs <paramref name="ended"/>. Returns at once.
    /// </summary>
    void Run(IConnectionEngine engine, Action<object?>? ended, object? state);
}

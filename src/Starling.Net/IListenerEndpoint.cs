using System.Net;

namespace Starling.Net;

/// <summary>A started listener: what the host and the tests see of it.</summary>
public interface IListenerEndpoint
{
    /// <summary>The listener's name, as hooks see it (<c>ListenerName</c>).</summary>
    string Name { get; }

    /// <summary>The listener's type: tcp, tls, ws, wss, http or https.</summary>
    string Type { get; }

    /// <summary>The bound address (with the real port when 0 was asked for); null before it is bound.</summary>
    IPEndPoint? LocalEndPoint { get; }

    /// <summary>Connections open on this listener now.</summary>
    int ConnectionCount { get; }
}

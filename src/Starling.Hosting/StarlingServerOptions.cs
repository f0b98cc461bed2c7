using System.Net;

namespace Starling.Hosting;

/// <summary>The server's settings, bound from the configuration section "Starling" (see docs/configuration.md).</summary>
public sealed class StarlingServerOptions
{
    /// <summary>The configuration section these settings are read from.</summary>
    public const string Section = "Starling";

    /// <summary>TCP port of the default listener. Default 1883; <c>--port N</c> or <c>-p N</c> on the command line.</summary>
    public int Port { get; set; } = 1883;

    /// <summary>Address the default listener binds to. Default "::" (every interface, IPv4 and IPv6); "0.0.0.0" for IPv4 only.</summary>
    public string BindAddress { get; set; } = "::";

    /// <summary>
    /// How tcp listeners handle connections: "epoll" (Linux: descriptors served straight from epoll, about a kilobyte
    /// less per connection) or "sockets" (.NET's <see cref="System.Net.Sockets.Socket"/>, the transport of TLS).
    /// Default "auto": epoll on Linux, sockets elsewhere.
    /// </summary>
    public string TcpTransport { get; set; } = "auto";

    /// <summary>Whether tcp listeners use the epoll transport, after <see cref="TcpTransport"/> has been validated.</summary>
    internal bool UseEpoll => TcpTransportName switch
    {
        "epoll" => true,
        "sockets" => false,
        _ => Net.TcpListenerEndpoint.IsEpollSupported,
    };

    /// <summary><see cref="TcpTransport"/> as compared: trimmed, lower case.</summary>
    private string TcpTransportName => (TcpTransport ?? string.Empty).Trim().ToLowerInvariant();

    /// <summary>Seconds the graceful stop waits for clients to close and hooks to finish. Default 30.</summary>
    public int ShutdownTimeoutSeconds { get; set; } = 30;

    /// <summary>
    /// The listeners, by name (the name is the key: <c>Starling:Listeners:secure:Port</c>, <c>STARLING__LISTENERS__SECURE__PORT</c>).
    /// Empty (the default): one tcp listener named "tcp" on <see cref="BindAddress"/>:<see cref="Port"/>.
    /// </summary>
    public Dictionary<string, ListenerOptions> Listeners { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// A password file (see docs/security.md); when set, every CONNECT is checked against it, and a client without a
    /// user name is refused unless <c>Starling:AllowAnonymous</c> is set to true explicitly. Default none.
    /// </summary>
    public string? PasswordFile { get; set; }

    /// <summary>The web monitor, admin API and metrics endpoint (docs/monitor.md).</summary>
    public Monitor.MonitorOptions Monitor { get; set; } = new();

    /// <summary>Seconds between publications of the $SYS topics (0: none).</summary>
    public int SysInterval { get; set; } = 10;

    /// <summary>An ACL file (see docs/security.md); when set, it decides every subscription, publish and will. Default none.</summary>
    public string? AclFile { get; set; }

    /// <summary>Checks the values and throws naming the bad key (certificate files are checked when the listeners start).</summary>
    public void Validate()
    {
        if (Port is < 0 or > 65535)
        {
            throw new ArgumentException($"{Section}:Port must be between 0 and 65535, not {Port}.");
        }

        if (!IPAddress.TryParse(BindAddress, out _))
        {
            throw new ArgumentException($"{Section}:BindAddress '{BindAddress}' is not an IP address.");
        }

        string transport = TcpTransportName;
        if (transport is not ("auto" or "epoll" or "sockets"))
        {
            throw new ArgumentException($"{Section}:TcpTransport '{TcpTransport}' is not auto, epoll or sockets.");
        }

        if (transport == "epoll" && !Net.TcpListenerEndpoint.IsEpollSupported)
        {
            throw new ArgumentException($"{Section}:TcpTransport epoll needs Linux.");
        }

        if (ShutdownTimeoutSeconds < 0)
        {
            throw new ArgumentException($"{Section}:ShutdownTimeoutSeconds must be 0 or more, not {ShutdownTimeoutSeconds}.");
        }

        foreach (var (key, file) in new[] { (nameof(PasswordFile), PasswordFile), (nameof(AclFile), AclFile) })
        {
            if (file is { Length: > 0 } && !File.Exists(file))
            {
                throw new ArgumentException($"{Section}:{key}: the file '{Path.GetFullPath(file)}' does not exist.");
            }
        }

        if (SysInterval < 0)
        {
            throw new ArgumentException($"{Section}:SysInterval must be 0 (off) or more seconds, not {SysInterval}.");
        }

        Monitor.Validate();
        ListenerDefinition.Resolve(this, loadCertificates: false);
    }
}

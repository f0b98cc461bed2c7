using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Starling.Net;

namespace Starling.Hosting;

/// <summary>A listener's settings after validation: what the host starts.</summary>
internal sealed record ListenerDefinition(string Name, string Type, IPEndPoint EndPoint, string Path, ListenerLimits Limits, TlsServerSettings? Tls)
{
    /// <summary>Whether the broker starts without this listener when its port is taken (the monitor on its default port).</summary>
    public bool SkipWhenTaken { get; init; }

    public bool IsKestrel => Type is "ws" or "wss" or "http" or "https";

    public bool ServesMqtt => Type is not ("http" or "https");

    /// <summary>
    /// Validates the configured listeners (or makes the default one); throws naming the bad key. With
    /// <paramref name="loadCertificates"/> the files are checked and the certificates loaded.
    /// </summary>
    public static List<ListenerDefinition> Resolve(StarlingServerOptions options, bool loadCertificates)
    {
        var result = new List<ListenerDefinition>();
        if (options.Listeners.Count == 0)
        {
            // As before listeners were configurable: no connection limit, and only ConnectTimeoutSeconds for CONNECT.
            result.Add(new ListenerDefinition("tcp", "tcp", new IPEndPoint(Address(options.BindAddress), options.Port), "/mqtt", ListenerLimits.None, null));
            AddMonitor(options, result);
            return result;
        }

        try
        {
            foreach (var (name, listener) in options.Listeners)
            {
                result.Add(Resolve(options, name, listener, loadCertificates));
            }

            for (int i = 0; i < result.Count; i++)
            {
                for (int j = 0; j < i; j++)
                {
                    var (a, b) = (result[j], result[i]);
                    if (a.EndPoint.Port != 0 && a.EndPoint.Port == b.EndPoint.Port && (a.EndPoint.Address.Equals(b.EndPoint.Address) || IsAny(a.EndPoint.Address) || IsAny(b.EndPoint.Address)))
                    {
                        throw new ArgumentException($"{Key(b.Name)}:Port {b.EndPoint.Port} is already taken by listener '{a.Name}'.");
                    }
                }
            }
        }
        catch
        {
            foreach (var definition in result)
            {
                definition.Tls?.Dispose();
            }

            throw;
        }

        AddMonitor(options, result);
        return result;
    }

    /// <summary>The monitor's own http listener, unless it is off or a listener is already named for it.</summary>
    private static void AddMonitor(StarlingServerOptions options, List<ListenerDefinition> result)
    {
        var monitor = options.Monitor;
        if (!monitor.Enabled || !monitor.OwnListener || result.Exists(l => string.Equals(l.Name, Monitor.MonitorOptions.ListenerName, StringComparison.OrdinalIgnoreCase)))
        {
            return;
        }

        var endPoint = new IPEndPoint(Address(monitor.BindAddress), monitor.Port ?? Monitor.MonitorOptions.DefaultPort);
        if (endPoint.Port != 0 && result.Find(l => l.EndPoint.Port == endPoint.Port && (l.EndPoint.Address.Equals(endPoint.Address) || IsAny(l.EndPoint.Address) || IsAny(endPoint.Address))) is { } taken)
        {
            throw new ArgumentException($"{StarlingServerOptions.Section}:{Monitor.MonitorOptions.Section}:Port {endPoint.Port} is already taken by listener '{taken.Name}'.");
        }

        result.Add(new ListenerDefinition(Monitor.MonitorOptions.ListenerName, "http", endPoint, "/", ListenerLimits.None, null) { SkipWhenTaken = monitor.Port is null });
    }

    private static ListenerDefinition Resolve(StarlingServerOptions options, string name, ListenerOptions listener, bool loadCertificates)
    {
        string key = Key(name);
        string type = (listener.Type ?? "tcp").Trim().ToLowerInvariant();
        if (!ListenerOptions.Types.Contains(type))
        {
            throw new ArgumentException($"{key}:Type '{listener.Type}' is not one of {string.Join(", ", ListenerOptions.Types)}.");
        }

        string bind = string.IsNullOrEmpty(listener.BindAddress) ? options.BindAddress : listener.BindAddress;
        if (!IPAddress.TryParse(bind, out _))
        {
            throw new ArgumentException($"{key}:BindAddress '{bind}' is not an IP address.");
        }

        int port = listener.Port ?? type switch
        {
            "tcp" => options.Port,
            "tls" => 8883,
            _ => throw new ArgumentException($"{key}:Port is required for a {type} listener."),
        };
        if (port is < 0 or > 65535)
        {
            throw new ArgumentException($"{key}:Port must be between 0 and 65535, not {port}.");
        }

        string path = listener.Path ?? "/mqtt";
        if (type is "ws" or "wss" && (!path.StartsWith('/') || path.Contains('?', StringComparison.Ordinal)))
        {
            throw new ArgumentException($"{key}:Path '{path}' must start with '/' (and hold no query).");
        }

        if (listener.MaximumConnections < 0)
        {
            throw new ArgumentException($"{key}:MaximumConnections must be 0 (no limit) or more, not {listener.MaximumConnections}.");
        }

        if (listener.HandshakeTimeoutSeconds < 0)
        {
            throw new ArgumentException($"{key}:HandshakeTimeoutSeconds must be 0 (none) or more, not {listener.HandshakeTimeoutSeconds}.");
        }

        if (!Enum.TryParse<ClientCertificateRequirement>(listener.ClientCertificate, ignoreCase: true, out var clientCertificates) || !Enum.IsDefined(clientCertificates))
        {
            throw new ArgumentException($"{key}:ClientCertificate '{listener.ClientCertificate}' is not none, optional or required.");
        }

        TlsServerSettings? tls = null;
        if (type is "tls" or "wss" or "https")
        {
            tls = LoadTls(key, listener, clientCertificates, loadCertificates);
        }
        else if (!string.IsNullOrEmpty(listener.Certificate?.Path))
        {
            throw new ArgumentException($"{key}:Certificate is set, but a {type} listener does not use TLS (use tls, wss or https).");
        }

        var limits = new ListenerLimits(listener.MaximumConnections, TimeSpan.FromSeconds(listener.HandshakeTimeoutSeconds));
        return new ListenerDefinition(name, type, new IPEndPoint(Address(bind), port), path, limits, tls);
    }

    private static TlsServerSettings? LoadTls(string key, ListenerOptions listener, ClientCertificateRequirement clientCertificates, bool load)
    {
        var certificate = listener.Certificate ?? new CertificateOptions();
        if (string.IsNullOrEmpty(certificate.Path))
        {
            throw new ArgumentException($"{key}:Certificate:Path is required for a {listener.Type} listener.");
        }

        if (clientCertificates != ClientCertificateRequirement.None && string.IsNullOrEmpty(listener.ClientCaPath))
        {
            throw new ArgumentException($"{key}:ClientCaPath is required when ClientCertificate is {listener.ClientCertificate}.");
        }

        if (!load)
        {
            return null;
        }

        if (!File.Exists(certificate.Path))
        {
            throw new ArgumentException($"{key}:Certificate:Path '{certificate.Path}' does not exist.");
        }

        if (!string.IsNullOrEmpty(certificate.KeyPath) && !File.Exists(certificate.KeyPath))
        {
            throw new ArgumentException($"{key}:Certificate:KeyPath '{certificate.KeyPath}' does not exist.");
        }

        if (!string.IsNullOrEmpty(listener.ClientCaPath) && !File.Exists(listener.ClientCaPath))
        {
            throw new ArgumentException($"{key}:ClientCaPath '{listener.ClientCaPath}' does not exist.");
        }

        try
        {
            return TlsServerSettings.Load(certificate.Path, certificate.KeyPath, certificate.Password, clientCertificates, listener.ClientCaPath, listener.UseCertificateCommonNameAsUsername);
        }
        catch (CryptographicException ex)
        {
            throw new ArgumentException($"{key}:Certificate could not be loaded from '{certificate.Path}'{(string.IsNullOrEmpty(certificate.KeyPath) ? string.Empty : $" and '{certificate.KeyPath}'")} (or ClientCaPath): {ex.Message}", ex);
        }
    }

    private static string Key(string name) => $"{StarlingServerOptions.Section}:Listeners:{name}";

    private static bool IsAny(IPAddress address) => address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any);

    private static IPAddress Address(string bind)
    {
        var address = IPAddress.Parse(bind);
        return address.Equals(IPAddress.IPv6Any) && !Socket.OSSupportsIPv6 ? IPAddress.Any : address;
    }
}

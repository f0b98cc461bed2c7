namespace Starling.Hosting;

/// <summary>One listener, bound from <c>Starling:Listeners:{name}</c> (see docs/configuration.md).</summary>
public sealed class ListenerOptions
{
    /// <summary>The listener types: MQTT over tcp, tls, ws, wss; and http, https serving only the web endpoints.</summary>
    public static IReadOnlyList<string> Types { get; } = ["tcp", "tls", "ws", "wss", "http", "https"];

    /// <summary>tcp, tls, ws, wss, http or https. Default tcp.</summary>
    public string Type { get; set; } = "tcp";

    /// <summary>Address to listen on. Default: <c>Starling:BindAddress</c>.</summary>
    public string? BindAddress { get; set; }

    /// <summary>Port (0 picks a free one). Default: <c>Starling:Port</c> for tcp, 8883 for tls; required for the others.</summary>
    public int? Port { get; set; }

    /// <summary>ws and wss: the HTTP path of the MQTT WebSocket endpoint. Default /mqtt.</summary>
    public string Path { get; set; } = "/mqtt";

    /// <summary>tls, wss, https: the server certificate.</summary>
    public CertificateOptions Certificate { get; set; } = new();

    /// <summary>tls, wss, https: none, optional or required. Default none.</summary>
    public string ClientCertificate { get; set; } = "none";

    /// <summary>PEM bundle of the CAs client certificates must chain to; required unless ClientCertificate is none.</summary>
    public string? ClientCaPath { get; set; }

    /// <summary>tls, wss: the client certificate's subject CN becomes the client's user name. Default false.</summary>
    public bool UseCertificateCommonNameAsUsername { get; set; }

    /// <summary>MQTT connections open at once on this listener; 0 is no limit. Default 0.</summary>
    public int MaximumConnections { get; set; }

    /// <summary>Seconds from accept until CONNECT is accepted, TLS / WebSocket handshake included; 0 leaves only ConnectTimeoutSeconds. Default 10.</summary>
    public int HandshakeTimeoutSeconds { get; set; } = 10;
}

/// <summary>A server certificate: PEM certificate + key, or a PFX (no KeyPath).</summary>
public sealed class CertificateOptions
{
    /// <summary>The PEM certificate file (the chain may follow the certificate), or a PFX / PKCS#12 file.</summary>
    public string? Path { get; set; }

    /// <summary>The PEM private key file; empty for a PFX.</summary>
    public string? KeyPath { get; set; }

    /// <summary>The PFX password, or the password of an encrypted PEM key.</summary>
    public string? Password { get; set; }
}

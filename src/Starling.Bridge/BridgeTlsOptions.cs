namespace Starling.Bridge;

/// <summary>TLS from the bridge to the remote broker (mosquitto's bridge_cafile, bridge_certfile, bridge_keyfile).</summary>
public sealed class BridgeTlsOptions
{
    /// <summary>Whether to speak TLS to the remote broker.</summary>
    public bool Enabled { get; set; }

    /// <summary>PEM file of the CA that signed the remote broker's certificate; none trusts the system's CAs.</summary>
    public string? CaFile { get; set; }

    /// <summary>PEM file of the bridge's client certificate, when the remote broker asks for one.</summary>
    public string? CertificateFile { get; set; }

    /// <summary>PEM file of that certificate's private key.</summary>
    public string? KeyFile { get; set; }

    /// <summary>The name the remote broker's certificate must carry; none means the Address.</summary>
    public string? ServerName { get; set; }
}

using Starling.Mqtt;

namespace Starling.Bridge;

/// <summary>One bridge (an element of <c>Starling:Bridges</c>), as a mosquitto <c>connection</c> section: where the remote broker is, how to connect, what to forward.</summary>
public sealed class BridgeOptions
{
    public const string Section = "Bridges";

    /// <summary>The bridge's name, in logs and in the default client identifiers; unique among the bridges.</summary>
    public string Name { get; set; } = "";

    /// <summary>The remote broker's host name or address.</summary>
    public string Address { get; set; } = "";

    /// <summary>The remote broker's port; 0 means 1883, or 8883 with TLS.</summary>
    public int Port { get; set; }

    /// <summary>The protocol spoken to the remote broker: <c>3.1.1</c> or <c>5.0</c>.</summary>
    public string ProtocolVersion { get; set; } = "3.1.1";

    /// <summary>The client identifier on the remote broker; empty means <c>machine-name.Name</c>, as mosquitto's default.</summary>
    public string ClientId { get; set; } = "";

    /// <summary>
    /// Clean Session / Clean Start on the remote broker. False (the default) keeps the bridge's session there, so what the
    /// remote queued for the inbound topics while the bridge was away arrives when it comes back.
    /// </summary>
    public bool CleanStart { get; set; }

    /// <summary>5.0: the Session Expiry Interval asked of the remote broker when <see cref="CleanStart"/> is false (0xFFFFFFFF: never).</summary>
    public uint SessionExpirySeconds { get; set; } = uint.MaxValue;

    /// <summary>The user name on the remote broker, or none.</summary>
    public string? Username { get; set; }

    /// <summary>The password on the remote broker, or none.</summary>
    public string? Password { get; set; }

    /// <summary>Keep alive toward the remote broker, in seconds.</summary>
    public int KeepAliveSeconds { get; set; } = 60;

    /// <summary>The first wait before reconnecting, in seconds; it doubles at each failure up to <see cref="ReconnectMaxSeconds"/>.</summary>
    public double ReconnectMinSeconds { get; set; } = 1;

    /// <summary>The longest wait between reconnection attempts, in seconds.</summary>
    public double ReconnectMaxSeconds { get; set; } = 30;

    /// <summary>The bridge's own client identifier in this broker (its persistent session, the local queue); empty means <c>bridge-Name</c>.</summary>
    public string LocalClientId { get; set; } = "";

    /// <summary>The user name the bridge's local side gives this broker, when this broker authenticates clients.</summary>
    public string? LocalUsername { get; set; }

    /// <summary>The password the bridge's local side gives this broker.</summary>
    public string? LocalPassword { get; set; }

    /// <summary>TLS to the remote broker.</summary>
    public BridgeTlsOptions Tls { get; set; } = new();

    /// <summary>What is forwarded, each as mosquitto's <c>topic pattern direction qos local-prefix remote-prefix</c>.</summary>
    public List<BridgeTopicOptions> Topics { get; set; } = [];

    public MqttProtocolVersion Version => ProtocolVersion switch
    {
        "3.1.1" or "4" => MqttProtocolVersion.V311,
        "5.0" or "5" => MqttProtocolVersion.V500,
        _ => throw new InvalidOperationException($"Starling:Bridges:{Name}: ProtocolVersion '{ProtocolVersion}' is not 3.1.1 or 5.0."),
    };

    public int EffectivePort => Port != 0 ? Port : Tls.Enabled ? 8883 : 1883;

    public string EffectiveClientId => ClientId.Length > 0 ? ClientId : $"{Environment.MachineName}.{Name}";

    public string EffectiveLocalClientId => LocalClientId.Length > 0 ? LocalClientId : "bridge-" + Name;

    /// <summary>Refuses, at start, a bridge that could never work.</summary>
    public void Validate()
    {
        string where = $"Starling:Bridges:{(Name.Length > 0 ? Name : "?")}";
        Require(Name.Length > 0, $"{where}: Name is required.");
        Require(Address.Length > 0, $"{where}: Address is required.");
        Require(EffectivePort is > 0 and <= 65535, $"{where}: Port must be between 1 and 65535.");
        _ = Version;
        Require(KeepAliveSeconds is >= 0 and <= 65535, $"{where}: KeepAliveSeconds must be between 0 and 65535.");
        Require(ReconnectMinSeconds > 0 && ReconnectMaxSeconds >= ReconnectMinSeconds, $"{where}: ReconnectMinSeconds must be positive and not above ReconnectMaxSeconds.");
        Require(Topics.Count > 0, $"{where}: Topics lists nothing to forward.");
        foreach (var topic in Topics)
        {
            topic.Validate(where);
        }
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }
}

namespace Starling.Mqtt.Packets;

/// <summary>CONNECT (section 3.1): the first packet a client sends.</summary>
public sealed class ConnectPacket : MqttPacket
{
    /// <inheritdoc />
    public override MqttPacketType Type => MqttPacketType.Connect;

    /// <summary>The protocol version; also chooses the protocol name ("MQIsdp" for 3.1, "MQTT" otherwise).</summary>
    public MqttProtocolVersion ProtocolVersion { get; set; } = MqttProtocolVersion.V311;

    /// <summary>The client identifier; may be empty.</summary>
    public string ClientId { get; set; } = "";

    /// <summary>Clean Session (3.1, 3.1.1) or Clean Start (5.0).</summary>
    public bool CleanSession { get; set; } = true;

    /// <summary>Keep alive in seconds; 0 disables it.</summary>
    public ushort KeepAlive { get; set; }

    /// <summary>The user name, or null when the User Name flag is clear.</summary>
    public string? Username { get; set; }

    /// <summary>The password, or null when the Password flag is clear.</summary>
    public ReadOnlyMemory<byte>? Password { get; set; }

    /// <summary>The will, or null when the Will flag is clear.</summary>
    public MqttWill? Will { get; set; }

    /// <summary>CONNECT properties (5.0 only).</summary>
    public MqttProperties? Properties { get; set; }
}

/// <summary>The will message carried in CONNECT.</summary>
public sealed class MqttWill
{
    /// <summary>The will topic.</summary>
    public string Topic { get; set; } = "";

    /// <summary>The will payload.</summary>
    public ReadOnlyMemory<byte> Payload { get; set; }

    /// <summary>The will QoS.</summary>
    public MqttQualityOfService QoS { get; set; }

    /// <summary>Whether the will is published retained.</summary>
    public bool Retain { get; set; }

    /// <summary>Will properties (5.0 only).</summary>
    public MqttProperties? Properties { get; set; }
}

namespace Starling.Mqtt;

/// <summary>
/// Thrown by the codec when bytes break a rule of the packet grammar. <see cref="Rule"/> names the rule
/// (a spec clause id where there is one) and <see cref="ReasonCode"/> is the MQTT 5.0 reason code a server
/// sends with DISCONNECT before closing (for 3.1.1 the connection is simply closed).
/// </summary>
public sealed class MqttProtocolException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MqttProtocolException(MqttReasonCode reasonCode, string rule, string message)
        : base($"[{rule}] {message}")
    {
        ReasonCode = reasonCode;
        Rule = rule;
    }

    /// <summary>The reason code to answer with: usually 0x81 Malformed Packet or 0x82 Protocol Error.</summary>
    public MqttReasonCode ReasonCode { get; }

    /// <summary>The rule broken: a clause id such as "MQTT-2.2.2-1", or a short name where the spec has none.</summary>
    public string Rule { get; }
}

using Starling.Mqtt.Packets;

namespace Starling.Mqtt.Client;

/// <summary>
/// Thrown by <see cref="MqttClient"/> when the broker refuses something (with its reason code and packet)
/// or when the connection is gone.
/// </summary>
public sealed class MqttClientException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MqttClientException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public MqttClientException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the cause.</summary>
    public MqttClientException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a refusal carried by <paramref name="packet"/>.</summary>
    public MqttClientException(string message, MqttReasonCode reasonCode, MqttPacket? packet = null, Exception? innerException = null)
        : base(message, innerException)
    {
        ReasonCode = reasonCode;
        Packet = packet;
    }

    /// <summary>The broker's reason code, when the failure came with one (for example a refused CONNACK).</summary>
    public MqttReasonCode? ReasonCode { get; }

    /// <summary>The packet that carried the refusal (for example the <see cref="ConnAckPacket"/>), if any.</summary>
    public MqttPacket? Packet { get; }
}

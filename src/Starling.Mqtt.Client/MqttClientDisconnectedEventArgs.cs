using Starling.Mqtt.Packets;

namespace Starling.Mqtt.Client;

/// <summary>How and why a connection ended: raised by <see cref="MqttClient.Disconnected"/> and the result of <see cref="MqttClient.Completion"/>.</summary>
public sealed class MqttClientDisconnectedEventArgs : EventArgs
{
    /// <summary>Creates the arguments.</summary>
    public MqttClientDisconnectedEventArgs(MqttDisconnectSource source, DisconnectPacket? packet = null, Exception? exception = null)
    {
        Source = source;
        Packet = packet;
        Exception = exception;
    }

    /// <summary>Who ended the connection.</summary>
    public MqttDisconnectSource Source { get; }

    /// <summary>The DISCONNECT sent by the broker (<see cref="MqttDisconnectSource.Server"/>) or by this client (<see cref="MqttDisconnectSource.Client"/>).</summary>
    public DisconnectPacket? Packet { get; }

    /// <summary>The reason code of <see cref="Packet"/>, if there is one.</summary>
    public MqttReasonCode? ReasonCode => Packet?.ReasonCode;

    /// <summary>The failure that ended the connection, for <see cref="MqttDisconnectSource.Error"/>.</summary>
    public Exception? Exception { get; }

    /// <inheritdoc />
    public override string ToString()
        => $"{Source}{(Packet is null ? "" : $" (reason 0x{(byte)Packet.ReasonCode:X2})")}{(Exception is null ? "" : $": {Exception.Message}")}";
}

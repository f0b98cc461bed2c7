namespace Starling.Mqtt.Client;

/// <summary>Why a <see cref="MqttClient"/> connection ended.</summary>
public enum MqttDisconnectSource
{
    /// <summary>This client sent DISCONNECT (<see cref="MqttClient.DisconnectAsync"/>).</summary>
    Client,

    /// <summary>This client dropped the connection without DISCONNECT (<see cref="MqttClient.AbortAsync"/>, dispose).</summary>
    Aborted,

    /// <summary>The broker sent DISCONNECT (5.0).</summary>
    Server,

    /// <summary>The broker closed the connection without DISCONNECT.</summary>
    ConnectionClosed,

    /// <summary>No PINGRESP came within the keep alive interval.</summary>
    KeepAliveTimeout,

    /// <summary>A read or write failed, or the broker broke the protocol; see <see cref="MqttClientDisconnectedEventArgs.Exception"/>.</summary>
    Error,
}

namespace Starling.Mqtt.Packets;

/// <summary>PINGREQ (section 3.12). Stateless, so one shared instance serves.</summary>
public sealed class PingReqPacket : MqttPacket
{
    /// <summary>The shared instance.</summary>
    public static readonly PingReqPacket Instance = new();

    /// <inheritdoc />
    public override MqttPacketType Type => MqttPacketType.PingReq;
}

/// <summary>PINGRESP (section 3.13). Stateless, so one shared instance serves.</summary>
public sealed class PingRespPacket : MqttPacket
{
    /// <summary>The shared instance.</summary>
    public static readonly PingRespPacket Instance = new();

    /// <inheritdoc />
    public override MqttPacketType Type => MqttPacketType.PingResp;
}

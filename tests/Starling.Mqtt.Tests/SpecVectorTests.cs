using Starling.Mqtt.Packets;
using static Starling.Mqtt.Tests.TestHelpers;

namespace Starling.Mqtt.Tests;

/// <summary>Byte layouts given (or derived field by field) from the specifications.</summary>
public class SpecVectorTests
{
    [Fact]
    public void Connect_V311_Bytes()
    {
        // 3.1.1 section 3.1.2: "MQTT", level 4, Clean Session, keep alive 10, client id "a".
        byte[] expected = Hex("10 0d 00 04 4d 51 54 54 04 02 00 0a 00 01 61");
        Assert.Equal(expected, Encode(new ConnectPacket { ClientId = "a", KeepAlive = 10 }, MqttProtocolVersion.V311));
        var decoded = Assert.IsType<ConnectPacket>(Decode(expected, MqttProtocolVersion.Unknown));
        Assert.Equal(MqttProtocolVersion.V311, decoded.ProtocolVersion);
        Assert.Equal("a", decoded.ClientId);
        Assert.Equal(10, decoded.KeepAlive);
    }

    [Fact]
    public void Connect_V310_Bytes()
    {
        byte[] expected = Hex("10 0f 00 06 4d 51 49 73 64 70 03 02 00 3c 00 01 61");
        Assert.Equal(expected, Encode(new ConnectPacket { ProtocolVersion = MqttProtocolVersion.V310, ClientId = "a", KeepAlive = 60 }, MqttProtocolVersion.V310));
        Assert.Equal(MqttProtocolVersion.V310, Assert.IsType<ConnectPacket>(Decode(expected, MqttProtocolVersion.Unknown)).ProtocolVersion);
    }

    [Fact]
    public void Connect_V500_Bytes_WithUserNameAndPassword()
    {
        // Flags 0xC2: user name, password, clean start; property length 0.
        byte[] expected = Hex("10 15 00 04 4d 51 54 54 05 c2 00 3c 00 00 01 61 00 01 75 00 02 70 77");
        var packet = new ConnectPacket { ProtocolVersion = MqttProtocolVersion.V500, ClientId = "a", KeepAlive = 60, Username = "u", Password = "pw"u8.ToArray() };
        Assert.Equal(expected, Encode(packet, MqttProtocolVersion.V500));
    }

    [Fact]
    public void Publish_V311_Bytes()
    {
        // QoS 1, topic "a/b", packet id 10, payload "hi".
        byte[] expected = Hex("32 09 00 03 61 2f 62 00 0a 68 69");
        var packet = new PublishPacket { Topic = "a/b", QoS = MqttQualityOfService.AtLeastOnce, PacketId = 10, Payload = "hi"u8.ToArray() };
        Assert.Equal(expected, Encode(packet, MqttProtocolVersion.V311));
    }

    [Fact]
    public void Publish_V500_Bytes_HasPropertyLength()
    {
        byte[] expected = Hex("30 07 00 03 61 2f 62 00 68");
        Assert.Equal(expected, Encode(new PublishPacket { Topic = "a/b", Payload = "h"u8.ToArray() }, MqttProtocolVersion.V500));
    }

    [Theory]
    [InlineData("c0 00", MqttPacketType.PingReq)]
    [InlineData("d0 00", MqttPacketType.PingResp)]
    [InlineData("e0 00", MqttPacketType.Disconnect)]
    public void EmptyPackets_Bytes(string hex, MqttPacketType type)
    {
        foreach (MqttProtocolVersion version in AllVersions)
        {
            Assert.Equal(type, Decode(Hex(hex), version).Type);
        }
    }

    [Fact]
    public void Disconnect_V500_RemainingLength0_IsNormalDisconnection()
    {
        var packet = Assert.IsType<DisconnectPacket>(Decode(Hex("e0 00"), MqttProtocolVersion.V500));
        Assert.Equal(MqttReasonCode.NormalDisconnection, packet.ReasonCode);
        Assert.Null(packet.Properties);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311, "20 02 01 00")]
    [InlineData(MqttProtocolVersion.V310, "20 02 00 00")]
    [InlineData(MqttProtocolVersion.V500, "20 03 01 00 00")]
    public void ConnAck_SessionPresent_Bytes(MqttProtocolVersion version, string hex)
    {
        // 3.1 has no Session Present flag: written as 0.
        Assert.Equal(Hex(hex), Encode(new ConnAckPacket { SessionPresent = true }, version));
    }

    [Theory]
    [InlineData(MqttReasonCode.UnsupportedProtocolVersion, 0x01)]
    [InlineData(MqttReasonCode.ClientIdentifierNotValid, 0x02)]
    [InlineData(MqttReasonCode.ServerBusy, 0x03)]
    [InlineData(MqttReasonCode.BadUserNameOrPassword, 0x04)]
    [InlineData(MqttReasonCode.NotAuthorized, 0x05)]
    public void ConnAck_V311_ReturnCodes(MqttReasonCode code, byte returnCode)
    {
        byte[] bytes = Encode(new ConnAckPacket { ReasonCode = code }, MqttProtocolVersion.V311);
        Assert.Equal(new byte[] { 0x20, 0x02, 0x00, returnCode }, bytes);
        var decoded = Assert.IsType<ConnAckPacket>(Decode(bytes, MqttProtocolVersion.V311));
        Assert.Equal(MqttReasonCodeMapping.FromV3ConnectReturnCode(returnCode), decoded.ReasonCode);
    }

    [Fact]
    public void PubAck_V500_ShortForm_Bytes()
    {
        Assert.Equal(Hex("40 02 00 05"), Encode(new PubAckPacket { PacketId = 5 }, MqttProtocolVersion.V500));
        Assert.Equal(Hex("62 03 00 05 92"), Encode(new PubRelPacket { PacketId = 5, ReasonCode = MqttReasonCode.PacketIdentifierNotFound }, MqttProtocolVersion.V500));
    }
}
